return {
  title = "x"
  forms = {},
}
