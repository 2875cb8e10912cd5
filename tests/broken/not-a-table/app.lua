return "formulaire"
