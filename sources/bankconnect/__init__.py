"""The BankConnect source package: the dlt source is in `source` (importing it loads dlt); the other
modules are light (errors, settings, validation, documents, flatten, reading) and import no dlt."""
