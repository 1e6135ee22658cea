module gcspike/tests/e2e/sitefill

go 1.24
