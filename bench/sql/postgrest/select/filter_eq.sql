-- pgFmtFilter for `eq`: an empty NOT, the qualified column, the value as a parameter of unknown type
 {column} = {value}
