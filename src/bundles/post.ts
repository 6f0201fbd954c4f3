import { runPostStep } from '../core/runtime.js';

void runPostStep();
