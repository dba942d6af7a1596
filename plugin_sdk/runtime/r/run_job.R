# Run one Hiplot-format R plugin for one prepared job folder.
#
#   Rscript plugin_sdk/runtime/r/run_job.R JOB/job.json
#
# The Python runner writes JOB/job.json (plugin folder, core scripts, input
# tables, merged config, output prefix, upload folder). This file reproduces
# what Hiplot's runtime does before and after a core script (see
# plugin-format.md, "How Hiplot's runtime prepares a run"), writes the step
# status to JOB/status.json and the outcome to JOB/result.json, and never lets
# an R error end the run without result.json.
#
# Everything is a function so that a long-lived R (embedded through rpy2 and
# forked per job) can preload once and call plotforge_run_job() per job. The
# functions live in an environment attached as "plotforge:runtime", not in the
# global environment, because plugin scripts run in the global environment
# and some of them clear it.

if ("plotforge:runtime" %in% search()) detach("plotforge:runtime", character.only = TRUE)

evalq(envir = attach(NULL, name = "plotforge:runtime"), {
  # Hiplot attaches these before every script, in this order, and scripts use
  # their functions without loading them (str_detect, colorpanel, summarize).
  plotforge_preload_packages <- c(
    "cowplot", "patchwork", "R.utils", "reshape2", "ggplot2", "grid", "Hmisc",
    "dplyr", "tidyverse", "gplots", "ggthemes", "ComplexHeatmap", "pheatmap"
  )
  # The light head of that list. A warm worker keeps a second parent with only these
  # attached: the heavy rest (Hmisc, the tidyverse, ComplexHeatmap) triples R's heap, and a
  # child forked from a big heap pays for it in copy-on-write page faults on every job.
  # Attaching the rest after these gives exactly Hiplot's search path.
  plotforge_light_preload <- c("cowplot", "patchwork", "R.utils", "reshape2", "ggplot2", "grid")
  stopifnot(identical(plotforge_preload_packages[seq_along(plotforge_light_preload)], plotforge_light_preload))

  # The steps of Hiplot's task status file, in order.
  plotforge_steps <- list(
    id = c("read-params", "read-data", "run-script", "export"),
    label = c(
      "en:Parse parameters;zh_cn:\u89e3\u6790\u53c2\u6570",
      "en:Read data;zh_cn:\u8bfb\u53d6\u6570\u636e",
      "en:Run plot script;zh_cn:\u8fd0\u884c\u7ed8\u56fe\u811a\u672c",
      "en:Collect outputs;zh_cn:\u6574\u7406\u8f93\u51fa\u6587\u4ef6"
    )
  )
  plotforge_status <- c(pending = 0L, running = 1L, done = 2L, error = 3L)

  # Old parameter names some plugins still keep in `extra`, and the `general`
  # key each one now lives under. The value is copied so that scripts reading
  # either name see it.
  plotforge_renamed_keys <- c(
    font_family = "font", family = "font", title_size = "titleSize",
    axis_title_size = "axisTitleSize", legend_pos = "legendPos",
    legend_dir = "legendDir", legend_title_size = "legendTitleSize",
    x_axis_angle = "xAxisTextAngle", hjust = "xAxisHjust", vjust = "xAxisVjust",
    fontsize_row = "fontsizeRow", fontsize_col = "fontsizeCol", digits = "digits"
  )

  # -------------------------------------------------------------------------
  # Session set-up (once per R process)
  # -------------------------------------------------------------------------

  # Text in scripts and parameters is UTF-8 (Chinese titles are common).
  plotforge_use_utf8 <- function() {
    if (!isTRUE(l10n_info()[["UTF-8"]])) {
      for (locale in c("C.UTF-8", "C.utf8", "en_US.UTF-8")) {
        if (nzchar(suppressWarnings(Sys.setlocale("LC_CTYPE", locale)))) break
      }
    }
    # Without TZ, the first date-time call runs timedatectl and warns in
    # containers; the plot scripts do not depend on the local zone.
    if (!nzchar(Sys.getenv("TZ"))) Sys.setenv(TZ = "UTC")
    invisible(NULL)
  }

  plotforge_add_libraries <- function(libs = Sys.getenv("PLOTFORGE_R_LIBS")) {
    libs <- strsplit(libs, .Platform$path.sep, fixed = TRUE)[[1]]
    libs <- libs[nzchar(libs) & dir.exists(libs)]
    if (length(libs)) .libPaths(c(libs, .libPaths()))
    invisible(.libPaths())
  }

  # Attach Hiplot's preload set quietly, skipping what is not installed.
  plotforge_preload <- function(packages = plotforge_preload_packages) {
    plotforge_use_utf8()
    attached <- character()
    for (pkg in packages) {
      if (!nzchar(system.file(package = pkg))) {
        next
      }
      loaded <- tryCatch(
        {
          suppressPackageStartupMessages(
            library(pkg, character.only = TRUE, warn.conflicts = FALSE, quietly = TRUE)
          )
          TRUE
        },
        error = function(e) {
          message("plotforge: could not attach ", pkg, ": ", conditionMessage(e))
          FALSE
        }
      )
      if (loaded) attached <- c(attached, pkg)
    }
    invisible(attached)
  }

  # Attach the rest of the preload set after the light head. Returns the names whose meaning
  # that changed: new names, and names now bound to another object than before (`.data` is
  # rlang's pronoun in ggplot2 and in dplyr alike, so it does not count).
  plotforge_attach_heavy <- function() {
    before <- search()
    plotforge_preload(setdiff(plotforge_preload_packages, plotforge_light_preload))
    added <- setdiff(search(), before)
    names <- unique(unlist(lapply(added, ls, all.names = TRUE), use.names = FALSE))
    light <- lapply(before[before != ".GlobalEnv"], as.environment)
    changed <- vapply(names, function(name) {
      now <- get(name, envir = as.environment(added[[1]]), inherits = TRUE)
      for (env in light) {
        if (exists(name, envir = env, inherits = FALSE)) {
          return(!identical(get(name, envir = env, inherits = FALSE), now))
        }
      }
      TRUE
    }, logical(1))
    names[changed]
  }

  # Byte-compile every function of our runtime and helpers. R compiles a closure on its first
  # call; in a forked child that work is thrown away with the child, and for this runtime it
  # cost about 150 ms of every job. A warm parent compiles once, before it forks.
  plotforge_compile <- function(envs = c("plotforge:runtime", "plotforge")) {
    for (name in envs[envs %in% search()]) {
      env <- as.environment(name)
      for (fun in ls(env, all.names = TRUE)) {
        value <- get(fun, envir = env, inherits = FALSE)
        if (is.function(value) && !is.primitive(value)) {
          assign(fun, compiler::cmpfun(value), envir = env)
        }
      }
    }
    invisible(NULL)
  }

  # Source plotforge.R into a fresh environment attached as "plotforge".
  plotforge_attach_helpers <- function(path) {
    if ("plotforge" %in% search()) detach("plotforge", character.only = TRUE)
    helpers <- attach(NULL, pos = 2L, name = "plotforge")
    sys.source(path, envir = helpers, keep.source = FALSE)
    invisible(helpers)
  }

  # -------------------------------------------------------------------------
  # Configuration and inputs
  # -------------------------------------------------------------------------

  # params.config as scripts expect it (Hiplot's steps 3 and 4).
  plotforge_conf <- function(config) {
    conf <- if (is.list(config)) config else list()
    for (section in c("data", "dataArg", "general", "extra")) {
      if (is.null(conf[[section]])) conf[[section]] <- stats::setNames(list(), character())
    }
    for (old in names(plotforge_renamed_keys)) {
      if (!is.null(conf$extra[[old]])) conf$general[[plotforge_renamed_keys[[old]]]] <- conf$extra[[old]]
    }
    if (!is.null(conf$general$palette_cont)) conf$general$paletteCont <- conf$general$palette_cont
    font <- unlist(conf$general$font)
    if (length(font) == 0L || !nzchar(font[[1]])) conf$general$font <- "Arial"
    # Each column role keeps only its chosen column(s), as a character vector.
    for (i in seq_along(conf$dataArg)) {
      for (j in seq_along(conf$dataArg[[i]])) {
        entry <- conf$dataArg[[i]][[j]]
        value <- if (is.list(entry)) entry$value else entry
        value <- as.character(unlist(value, use.names = FALSE))
        if (length(value) == 0L) value <- ""
        conf$dataArg[[i]][[j]] <- list(value = value)
      }
    }
    conf
  }

  .plotforge_blank <- function(column) {
    is.na(column) | (is.character(column) & column %in% c("", " "))
  }

  # Rows, then columns, whose every cell is NA, empty or one space go.
  plotforge_drop_blank <- function(df) {
    if (ncol(df) == 0L || nrow(df) == 0L) {
      return(df)
    }
    blank <- vapply(df, .plotforge_blank, logical(nrow(df)))
    blank <- matrix(blank, nrow = nrow(df))
    df <- df[!apply(blank, 1L, all), , drop = FALSE]
    blank_columns <- vapply(df, function(column) all(.plotforge_blank(column)), logical(1))
    df <- df[, !blank_columns, drop = FALSE]
    rownames(df) <- NULL
    df
  }

  # One input table by its extension: comma for .csv, tab for .txt/.tsv
  # (gzipped too), spreadsheets for .xlsx/.xls. Column names stay as written.
  plotforge_read_table <- function(path) {
    name <- tolower(basename(path))
    if (!file.exists(path)) stop("Input file not found: ", basename(path), call. = FALSE)
    if (file.size(path) == 0) {
      return(data.frame())
    }
    df <- if (grepl("\\.xlsx$", name)) {
      openxlsx::read.xlsx(path, sheet = 1L, check.names = FALSE, sep.names = " ")
    } else if (grepl("\\.xls$", name)) {
      if (!nzchar(system.file(package = "readxl"))) {
        stop("Reading .xls needs the R package readxl; save the table as .xlsx or .csv", call. = FALSE)
      }
      as.data.frame(readxl::read_excel(path, sheet = 1L, .name_repair = "minimal"))
    } else {
      sep <- if (grepl("\\.csv(\\.gz)?$", name)) "," else "\t"
      data.table::fread(path,
        sep = sep, header = TRUE, fill = TRUE, data.table = FALSE,
        check.names = FALSE, encoding = "UTF-8", integer64 = "double",
        showProgress = FALSE
      )
    }
    if (is.null(df)) df <- data.frame()
    plotforge_drop_blank(as.data.frame(df, stringsAsFactors = FALSE, check.names = FALSE))
  }

  # Objects worth keeping after a run, as Hiplot lists them.
  plotforge_keep_vars <- function() {
    c(
      "pkgs", paste0("data", 1:10), paste0("dat", 1:10), paste0("res", 1:10),
      paste0("pobj", 1:10000), paste0("p", 1:10000), paste0("wb", 1:10000),
      "conf", "data", "p", "wb", "dat", "cem", "res", "pobj"
    )
  }

  # -------------------------------------------------------------------------
  # Status and result files
  # -------------------------------------------------------------------------

  .plotforge_write_json <- function(x, path) {
    tmp <- paste0(path, ".part", Sys.getpid())
    text <- jsonlite::toJSON(x, auto_unbox = TRUE, null = "null", na = "null", pretty = TRUE, digits = NA)
    writeLines(enc2utf8(as.character(text)), tmp, useBytes = TRUE)
    file.rename(tmp, path)
  }

  .plotforge_write_status <- function(status, path) {
    .plotforge_write_json(
      list(id = I(plotforge_steps$id), label = I(plotforge_steps$label), status = I(unname(status))),
      path
    )
  }

  # Calls between the script's first frame and the error, as
  # "plot.R#12: f(x)" where the source line is known. Frames of this runtime,
  # of source() and of the error handler are left out.
  .plotforge_traceback <- function(calls) {
    text <- vapply(calls, function(call) deparse(call, nlines = 1L, width.cutoff = 200L)[[1]], character(1))
    start <- utils::tail(which(startsWith(text, ".plotforge_source_script(")), 1L)
    if (length(start)) {
      keep <- seq_along(calls) > start
      # source()'s own frames directly after it
      k <- start + 1L
      while (k <= length(text) && grepl("^(source|withVisible|eval)\\(", text[[k]])) {
        keep[[k]] <- FALSE
        k <- k + 1L
      }
    } else {
      keep <- !grepl("^(plotforge_|\\.plotforge_|tryCatch|tryCatchList|tryCatchOne|doTryCatch|withCallingHandlers|fun\\(\\))", text)
    }
    keep <- keep & !grepl("^(\\.handleSimpleError|h\\(simpleError|\\(function\\(e\\))", text)
    keep[[length(keep)]] <- FALSE # the calling handler itself
    lines <- character()
    for (k in which(keep)) {
      where <- ""
      ref <- attr(calls[[k]], "srcref")
      if (!is.null(ref)) {
        file <- attr(ref, "srcfile")$filename
        if (!is.null(file)) where <- sprintf("%s#%d: ", basename(file), ref[[1]])
      }
      lines <- c(lines, paste0(where, substr(text[[k]], 1L, 200L)))
    }
    lines
  }

  .plotforge_call_text <- function(call) {
    if (is.null(call)) {
      return(NULL)
    }
    text <- deparse(call, nlines = 1L, width.cutoff = 200L)[[1]]
    # An error at a script's top level reports source()'s eval as its call.
    if (grepl("^(eval|withVisible|source)\\(", text)) NULL else text
  }

  # Run fun(); an error becomes a value carrying its traceback.
  .plotforge_capture <- function(fun) {
    trace <- character()
    value <- tryCatch(
      withCallingHandlers(fun(), error = function(e) trace <<- .plotforge_traceback(sys.calls())),
      error = function(e) e
    )
    if (inherits(value, "error")) {
      return(list(ok = FALSE, error = value, traceback = trace))
    }
    list(ok = TRUE, value = value)
  }

  .plotforge_failure <- function(error, trace, step) {
    missing <- if (inherits(error, "packageNotFoundError")) error$package else NULL
    message <- conditionMessage(error)
    if (!is.null(missing) && !inherits(error, "plotforge_missing_package")) {
      message <- sprintf(
        "R package '%s' is not installed on this server; ask the operator to add it to setup/r-packages.txt",
        missing
      )
    }
    list(
      ok = FALSE,
      message = message,
      call = .plotforge_call_text(conditionCall(error)),
      missing_package = if (is.null(missing)) NULL else as.character(missing[[1]]),
      step = step,
      traceback = I(trace)
    )
  }

  # -------------------------------------------------------------------------
  # One job
  # -------------------------------------------------------------------------

  .plotforge_source_script <- function(path) {
    source(path, local = globalenv(), chdir = FALSE, encoding = "UTF-8", keep.source = TRUE, echo = FALSE)
  }

  .plotforge_inside <- function(path, folder) {
    startsWith(normalizePath(path, mustWork = FALSE), paste0(normalizePath(folder), .Platform$file.sep))
  }

  # While a job runs, a plot drawn without opening a device (print(p),
  # recordPlot() after base graphics) goes to a scratch cairo PDF with the
  # display list on, instead of Rplots.pdf in the output folder.
  .plotforge_scratch_device <- function(width = 7, height = 7, ...) {
    grDevices::cairo_pdf(tempfile("scratch-", fileext = ".pdf"), width = width, height = height)
    grDevices::dev.control("enable")
  }

  .plotforge_read_job <- function(job_json_path) {
    job <- jsonlite::fromJSON(job_json_path, simplifyVector = FALSE)
    for (field in c("plugin_dir", "output_prefix")) {
      if (!is.character(job[[field]]) || !nzchar(job[[field]])) {
        stop("job.json has no ", field, call. = FALSE)
      }
    }
    if (!dir.exists(job$plugin_dir)) stop("Plugin folder not found: ", job$plugin_dir, call. = FALSE)
    scripts <- as.character(unlist(job$scripts))
    if (length(scripts) == 0L) stop("job.json lists no core script", call. = FALSE)
    job$script_paths <- file.path(job$plugin_dir, scripts)
    outside <- !vapply(job$script_paths, .plotforge_inside, logical(1), folder = job$plugin_dir)
    if (any(outside)) stop("Core scripts must be inside the plugin folder: ", paste(scripts[outside], collapse = ", "), call. = FALSE)
    missing <- !file.exists(job$script_paths)
    if (any(missing)) stop("Core script not found: ", paste(scripts[missing], collapse = ", "), call. = FALSE)
    source_r <- file.path(job$plugin_dir, "source.R")
    if (file.exists(source_r) && !"source.R" %in% basename(scripts)) {
      job$script_paths <- c(source_r, job$script_paths)
    }
    job
  }

  # Hiplot's global names: data, data2, ... then conf, opt, keep_vars,
  # script_dir, upload_dir.
  .plotforge_set_globals <- function(job, conf, tables) {
    env <- globalenv()
    for (k in seq_along(tables)) {
      assign(if (k == 1L) "data" else paste0("data", k), tables[[k]], envir = env)
    }
    paths <- vapply(job$tables, function(t) if (is.null(t$path)) "" else as.character(t$path), character(1))
    assign("conf", conf, envir = env)
    assign("opt", list(
      outputFilePrefix = job$output_prefix,
      inputFile = paste(paths, collapse = ","),
      module = basename(dirname(job$plugin_dir)),
      tool = basename(job$plugin_dir)
    ), envir = env)
    assign("keep_vars", plotforge_keep_vars(), envir = env)
    assign("script_dir", job$plugin_dir, envir = env)
    assign("upload_dir", if (is.character(job$upload_dir)) job$upload_dir else "", envir = env)
  }

  .plotforge_outputs <- function(prefix) {
    folder <- dirname(prefix)
    stray <- list.files(folder, pattern = "^Rplots.*\\.pdf$", full.names = TRUE)
    unlink(stray)
    files <- list.files(folder)
    sort(files[startsWith(files, paste0(basename(prefix), "."))])
  }

  # Run the job described by job_json_path. Returns (and writes to
  # result.json next to it) list(ok = TRUE, outputs) or the failure.
  plotforge_run_job <- function(job_json_path) {
    job_dir <- dirname(normalizePath(job_json_path, mustWork = FALSE))
    status_path <- file.path(job_dir, "status.json")
    result_path <- file.path(job_dir, "result.json")
    status <- rep(plotforge_status[["pending"]], length(plotforge_steps$id))
    current <- 0L
    advance <- function(step) {
      if (current > 0L) status[[current]] <<- plotforge_status[["done"]]
      current <<- step
      if (step > 0L) status[[step]] <<- plotforge_status[["running"]]
      .plotforge_write_status(status, status_path)
    }
    devices_before <- grDevices::dev.list()
    old_options <- options(stringsAsFactors = FALSE, warn = 1L, device = .plotforge_scratch_device)
    old_wd <- getwd()
    on.exit({
      # Devices a script left open are closed so their files are complete.
      for (device in setdiff(grDevices::dev.list(), devices_before)) grDevices::dev.off(device)
      options(old_options)
      setwd(old_wd)
    })

    outcome <- .plotforge_capture(function() {
      advance(1L)
      job <- .plotforge_read_job(job_json_path)
      conf <- plotforge_conf(job$config)

      advance(2L)
      # An optional table the user left out has a null path: its `dataN` is NULL, and the
      # tables after it keep their names (data3 stays data3).
      tables <- lapply(job$tables, function(t) {
        if (is.null(t$path)) NULL else plotforge_read_table(as.character(t$path))
      })

      advance(3L)
      .plotforge_set_globals(job, conf, tables)
      out_dir <- dirname(job$output_prefix)
      dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
      # Hiplot runs scripts without chdir; relative paths land in the outputs.
      setwd(out_dir)
      for (path in job$script_paths) .plotforge_source_script(path)

      advance(4L)
      for (device in setdiff(grDevices::dev.list(), devices_before)) grDevices::dev.off(device)
      .plotforge_outputs(job$output_prefix)
    })

    if (outcome$ok) {
      advance(0L)
      result <- list(ok = TRUE, outputs = I(outcome$value))
    } else {
      step <- if (current > 0L) plotforge_steps$id[[current]] else NULL
      if (current > 0L) status[[current]] <- plotforge_status[["error"]]
      tryCatch(.plotforge_write_status(status, status_path), error = function(e) NULL)
      result <- .plotforge_failure(outcome$error, outcome$traceback, step)
      message("plotforge: ", result$message)
    }
    .plotforge_write_result(result, result_path)
    invisible(result)
  }

  .plotforge_write_result <- function(result, path) {
    tryCatch(.plotforge_write_json(result, path), error = function(e) {
      message("plotforge: could not write ", path, ": ", conditionMessage(e))
    })
  }

  # Rscript entry point: stand-in library, helpers, preload, run, exit code.
  plotforge_main <- function(args = commandArgs(trailingOnly = TRUE)) {
    if (length(args) != 1L) {
      message("usage: Rscript run_job.R JOB/job.json")
      quit(save = "no", status = 2L)
    }
    file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
    here <- dirname(normalizePath(sub("^--file=", "", file_arg[[1]])))
    setup <- .plotforge_capture(function() {
      plotforge_add_libraries()
      plotforge_preload()
      plotforge_attach_helpers(file.path(here, "plotforge.R"))
    })
    if (!setup$ok) {
      # A broken installation still answers with result.json.
      result <- .plotforge_failure(setup$error, setup$traceback, "setup")
      message("plotforge: ", result$message)
      .plotforge_write_result(result, file.path(dirname(normalizePath(args[[1]], mustWork = FALSE)), "result.json"))
      quit(save = "no", status = 1L)
    }
    result <- plotforge_run_job(args[[1]])
    quit(save = "no", status = if (isTRUE(result$ok)) 0L else 1L)
  }
})

if (sys.nframe() == 0L) plotforge_main()
