# A small ggplot2 box plot, one pipeline of layers; the title lets a caller bypass the result cache.
library(ggplot2)
group_col <- conf$dataArg[[1]][[1]]$value
value_col <- conf$dataArg[[1]][[2]]$value
data[[value_col]] <- as.numeric(data[[value_col]])
plot <- ggplot(data, aes(x = .data[[group_col]], y = .data[[value_col]], fill = .data[[group_col]])) +
  geom_boxplot(outlier.size = 0.8) +
  labs(title = conf$general$title, x = group_col, y = value_col) +
  theme_bw()
export_single(plot)
