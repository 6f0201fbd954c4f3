import { runUmbrella } from '../actions/umbrella.js';

void runUmbrella();
