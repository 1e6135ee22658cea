package main

import "io"

func cmdPprofEnrich(args []string, stdout, stderr io.Writer) int { return 2 }
func cmdPprofSynth(args []string, stdout, stderr io.Writer) int  { return 2 }
