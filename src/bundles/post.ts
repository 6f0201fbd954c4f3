import { runPostStep } from '../core/post-step.js';

void runPostStep();
