# A stand-in for pacman (not packaged by Debian). Hiplot scripts start with
#   pkgs <- c("ggplot2", "dplyr"); pacman::p_load(pkgs, character.only = TRUE)
# or  pacman::p_load(ggplot2, dplyr)
# The real p_load installs whatever is missing from CRAN. A server must not do
# that (no network, no unreviewed code), so this one only attaches what the
# operator installed and names everything that is missing in one error.

# Package names as p_load receives them: bare names, strings, or (with
# character.only = TRUE) character vectors held in variables.
.package_names <- function(dots, character.only, env) {
  if (character.only) {
    values <- lapply(dots, eval, envir = env)
    return(unique(as.character(unlist(values, use.names = FALSE))))
  }
  # Bare names and string literals are taken literally, as pacman does; a
  # literal c("a", "b") written in the script is read as its strings.
  names <- lapply(dots, function(x) {
    if (is.call(x) && identical(x[[1]], as.name("c")) &&
      all(vapply(as.list(x)[-1L], is.character, logical(1)))) {
      return(unlist(as.list(x)[-1L]))
    }
    if (is.character(x)) x else deparse(x)
  })
  unique(unlist(names, use.names = FALSE))
}

.missing_package_error <- function(missing) {
  msg <- paste0(
    sprintf("R package '%s' is not installed on this server", missing),
    collapse = "; "
  )
  structure(
    class = c("plotforge_missing_package", "packageNotFoundError", "error", "condition"),
    list(
      message = paste0(msg, "; ask the operator to add it to setup/r-packages.txt"),
      call = NULL,
      package = missing[[1]],
      packages = missing,
      lib.loc = NULL
    )
  )
}

p_isinstalled <- function(package) {
  vapply(package, function(p) nzchar(system.file(package = p)), logical(1))
}

p_exists <- function(package, local = TRUE) {
  p_isinstalled(package)
}

p_loaded <- function(..., char, character.only = FALSE) {
  attached <- sub("^package:", "", grep("^package:", search(), value = TRUE))
  dots <- as.list(substitute(list(...)))[-1L]
  if (!missing(char)) {
    return(char %in% attached)
  }
  if (length(dots) == 0L) {
    return(attached)
  }
  .package_names(dots, character.only, parent.frame()) %in% attached
}

p_load <- function(..., char, install = TRUE, update = FALSE, character.only = FALSE) {
  dots <- as.list(substitute(list(...)))[-1L]
  pkgs <- if (!missing(char)) {
    as.character(char)
  } else {
    .package_names(dots, character.only, parent.frame())
  }
  pkgs <- pkgs[!is.na(pkgs) & nzchar(pkgs)]
  missing_pkgs <- pkgs[!p_isinstalled(pkgs)]
  if (length(missing_pkgs) > 0L) {
    stop(.missing_package_error(missing_pkgs))
  }
  for (pkg in pkgs) {
    suppressPackageStartupMessages(
      library(pkg, character.only = TRUE, warn.conflicts = FALSE, quietly = TRUE)
    )
  }
  invisible(stats::setNames(rep(TRUE, length(pkgs)), pkgs))
}

# Installing is the one thing this stand-in refuses to do.
p_install <- function(package, character.only = FALSE, ...) {
  name <- if (character.only) as.character(package) else deparse(substitute(package))
  stop(.missing_package_error(name))
}

p_load_gh <- function(..., char, install = TRUE, update = FALSE, character.only = FALSE) {
  dots <- as.list(substitute(list(...)))[-1L]
  repos <- if (!missing(char)) char else .package_names(dots, character.only, parent.frame())
  # "owner/repo@ref" -> "repo": attach it if the operator installed it.
  pkgs <- sub("@.*$", "", basename(repos))
  p_load(char = pkgs)
}

p_unload <- function(..., character.only = FALSE) {
  dots <- as.list(substitute(list(...)))[-1L]
  pkgs <- .package_names(dots, character.only, parent.frame())
  for (pkg in pkgs) {
    where <- paste0("package:", pkg)
    if (where %in% search()) detach(where, character.only = TRUE, unload = FALSE)
  }
  invisible(pkgs)
}
