// Preloaded into a child process (NODE_OPTIONS=--require) by tests that measure memory: prints the
// process's peak resident set size (kB) on stderr when it exits.
process.on('exit', () => process.stderr.write(`max-rss-kb=${process.resourceUsage().maxRSS}\n`));
