#!/usr/bin/env node
// The CLI lives in one bundle (npm run build) so a start loads one file.
import '../dist/tsmachine.mjs';
