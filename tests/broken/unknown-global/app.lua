local t = tabel.concat({ "a" })
