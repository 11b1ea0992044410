#!/usr/bin/env node
import 'reflect-metadata';
import { main } from '../dist/entrypoints/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
