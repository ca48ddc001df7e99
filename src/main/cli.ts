// Placeholder entry point until cli/ lands.
process.stdout.write("kpki\n");
