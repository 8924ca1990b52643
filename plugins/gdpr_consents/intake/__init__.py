"""Consent intake: spreadsheet and Mailchimp-export import, mailing-system webhooks.

`readers` turns a file into rows, `headers` finds the columns, `values` reads the cells,
`mailchimp` recognises an audience export, `importer` plans and applies an import in one
transaction, `webhooks` receives mailing-system events.
"""
