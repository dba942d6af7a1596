# Place any drawable inside an empty ggplot, so that themes, titles, cowplot and
# patchwork can treat it like any other ggplot.
as.ggplot <- function(plot, scale = 1, hjust = 0, vjust = 0, angle = 0) {
  g <- if (inherits(plot, "grob")) plot else as.grob(plot)
  if (angle != 0) {
    g <- grid::gTree(
      children = grid::gList(g),
      vp = grid::viewport(
        x = 0.5 + hjust, y = 0.5 + vjust, angle = angle,
        width = scale, height = scale
      )
    )
    scale <- 1
    hjust <- 0
    vjust <- 0
  }
  lo <- 1 - scale
  hi <- scale
  ggplot2::ggplot(data.frame(x = 0:1, y = 0:1), ggplot2::aes(x = .data[["x"]], y = .data[["y"]])) +
    ggplot2::geom_blank() +
    ggplot2::scale_x_continuous(limits = c(0, 1), expand = c(0, 0)) +
    ggplot2::scale_y_continuous(limits = c(0, 1), expand = c(0, 0)) +
    ggplot2::annotation_custom(
      g,
      xmin = lo + hjust, xmax = hi + hjust,
      ymin = lo + vjust, ymax = hi + vjust
    ) +
    ggplot2::theme_void()
}
