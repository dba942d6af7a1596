# Starts processes without end; the supervisor counts the job's session and kills it.
repeat {
  system2("sleep", "30", wait = FALSE)
}
