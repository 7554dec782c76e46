from tests.integration.reports.scenario import activity  # noqa: F401
