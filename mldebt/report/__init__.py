"""The leadership report: its data, charts and appendix, rendered to PDF with WeasyPrint."""
