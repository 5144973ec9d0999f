"""atop-pipeline: ATOP alliance-treaty codesheets to validated, queryable data, with in-force checks."""

__version__ = "0.1.0"
