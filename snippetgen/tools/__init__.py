"""Tools around the core: the Handlebars importer and the coverage table."""
