# Busy for ever: only the wall clock stops it (R ignores the alarm RQ would send).
message("spinning")
x <- 0
repeat {
  x <- x + 1
}
