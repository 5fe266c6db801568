import pytest


@pytest.fixture(autouse=True)
def _demo_files_in_a_folder_of_their_own(media):
    """manage.py demo_data attaches demo PDFs (demo/attachments.py): into this test's own folder."""
    return media
