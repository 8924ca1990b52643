"""A minimal Django app shaped like our consent import's data: a contact (e-mail, names)
and its consent (purpose, state, date given), for django-import-export to import into."""
