-- Fixture for the workflow tests (tests/http/workflow.py): every transition rule,
-- failing and runaway actions, mails, deadlines, automatic moves, public tracking.
return {
  title = "Flux",
  description = "Application de test des transitions",
  owner = "Tests",
  version = "1.0.0",
  roles = { demandeur = "Demandeur", agent = "Agent", chef = "Chef" },
  forms = {
    {
      id = "dossier",
      title = "Dossier",
      fields = {
        { name = "objet", type = "text", label = "Objet", required = true },
        { name = "montant", type = "integer", label = "Montant", required = true, min = 1, max = 1000000 },
        { name = "courriel", type = "email", label = "Courriel", personal = true },
        { name = "note_interne", type = "text", label = "Note interne", private = { "agent", "chef" } },
        { name = "priorite", type = "choice", label = "Priorité",
          options = { { "basse", "Basse" }, { "haute", "Haute" } } },
        { name = "avis_agent", type = "text", label = "Avis de l'agent", editable_by = { "agent" } },
        -- Computed from a transition's field: recomputed when the transition fills it.
        { name = "reste", type = "integer", label = "Reste à financer",
          compute = function(r) if r.accorde then return r.montant - r.accorde end end },
      },
      -- A dossier that reached "accorde" must carry a granted amount within its request.
      validate = function(r, ctx)
        if r.state == "accorde" and r.accorde and r.accorde > r.montant then
          return { accorde = "Le montant accordé dépasse le montant demandé." }
        end
      end,
      access = {
        create = { "demandeur", "public" },
        read = { demandeur = "own", agent = "all", chef = "all" },
      },
      list = { columns = { "objet", "montant", "priorite" }, filters = { "priorite" } },
      workflow = {
        initial = "depose",
        states = {
          { id = "depose", label = "Déposé", editable_by = { "owner", "agent" }, due_days = 2 },
          { id = "instruit", label = "En instruction", editable_by = { "agent" }, due_days = 10 },
          { id = "accorde", label = "Accordé", final = true },
          { id = "refuse", label = "Refusé", final = true },
          { id = "expire", label = "Expiré", final = true },
        },
        transitions = {
          { id = "instruire", label = "Instruire", from = "depose", to = "instruit",
            roles = { "agent" },
            guard = function(r, ctx)
              if r.objet == "bloque" then
                return false, "Un dossier bloqué ne peut pas être instruit."
              end
              return true
            end,
            action = function(r, ctx)
              r.note_interne = "instruit par " .. ctx.user.login
              ctx.notify { to = "role:chef", subject = "Dossier {{id}} à suivre",
                           body = "Le dossier {{objet}} est en instruction." }
            end },
          { id = "accorder", label = "Accorder", from = "instruit", to = "accorde",
            roles = { "agent", "chef" }, self_approval = false, comment = "optional",
            guard = function(r)
              if r.accorde and r.accorde > 100000 then
                return false, "Au-delà de 100 000 euros, le conseil décide."
              end
              return true
            end,
            fields = {
              { name = "accorde", type = "integer", label = "Montant accordé", required = true, min = 1 },
              { name = "accorde_le", type = "date", label = "Accordé le", required = true },
            },
            notify = { to = "field:courriel", subject = "Dossier {{objet}} accordé",
                       body = "Bonjour, votre dossier {{objet}} est accordé pour {{accorde}} euros." } },
          { id = "refuser", label = "Refuser", from = { "depose", "instruit" }, to = "refuse",
            roles = { "agent", "chef" }, comment = "required" },
          { id = "casser", label = "Casser", from = "depose", to = "refuse", roles = { "agent" },
            action = function(r, ctx)
              ctx.notify { to = "role:chef", subject = "jamais", body = "jamais" }
              r.note_interne = "jamais"
              error("panne volontaire de l'action")
            end },
          { id = "boucler", label = "Boucler", from = "depose", to = "refuse", roles = { "agent" },
            action = function(r, ctx)
              while true do end
            end },
          { id = "reevaluer", label = "Réévaluer", from = "instruit", to = "instruit",
            roles = { "agent" }, comment = "optional",
            fields = { { name = "estimation", type = "integer", label = "Estimation", required = true, min = 0 } } },
          -- The owner may add to the dossier, but not write the agent's opinion through it.
          { id = "completer", label = "Compléter", from = "depose", to = "depose", roles = { "owner" },
            fields = { { name = "avis_agent", type = "text", label = "Avis" } } },
          { id = "expirer", label = "Expirer", from = "depose", to = "expire", after_days = 5,
            notify = { to = "field:courriel", subject = "Dossier {{objet}} expiré",
                       body = "Votre dossier n'a pas été instruit à temps." } },
        },
      },
    },
  },
}
