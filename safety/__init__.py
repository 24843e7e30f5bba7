"""Making outside text safe to show and to export: one sanitiser, one
Markdown escaper and one CSV writer for every page and every export."""
