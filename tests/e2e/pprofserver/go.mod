module gcspike/tests/e2e/pprofserver

go 1.22
