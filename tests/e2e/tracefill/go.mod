module gcspike/tests/e2e/tracefill

go 1.19
