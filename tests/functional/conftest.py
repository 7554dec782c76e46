from tests.django_fixtures import *  # noqa: F403
