"""The public web form with double opt-in (`/f/<tenant>/<form>`): forms a tenant admin
sets up, submissions confirmed by a signed link in one e-mail, and the page where a person
sees and withdraws their consents (GDPR Art. 7(3)). See docs/consents_intake.md."""
