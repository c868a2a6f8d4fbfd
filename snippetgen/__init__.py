"""snippetgen: API documentation examples written once as templates, proven against a mock."""
