# Written by generateFleet (src/demo/generate-fleet.ts).
{ }
