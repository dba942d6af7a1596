# 3e8 doubles = 2.4 GB: refused by the job's address-space limit, not by the machine.
message("allocating")
hog <- numeric(3e8)
message("allocated ", length(hog))
