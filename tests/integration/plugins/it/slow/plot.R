# Writes its process id where the test can find it, sleeps, then draws bars with base graphics.
writeLines(as.character(Sys.getpid()), paste0(opt$outputFilePrefix, ".pid"))
message("sleeping before drawing")
Sys.sleep(4)
values <- as.numeric(data[[conf$dataArg[[1]][[2]]$value]])
png(paste0(opt$outputFilePrefix, ".png"), width = 400, height = 300)
barplot(values, main = conf$general$title)
invisible(dev.off())
