//go:build !unix

package main

import "os"

var stopSignals = []os.Signal{os.Interrupt}

func dieBy(os.Signal) { os.Exit(130) }

func catchBrokenPipe() {}
