"""Running one plugin: the job folder, the R and Python entry points, limits and outcomes."""
