import Mocha from 'mocha';

/**
 * The spec reporter plus one plain closing line, "N passed, N failed, N skipped", that tools
 * reading test output recognise in any language.
 */
class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once('end', () => {
      const stats = runner.stats!;
      process.stdout.write(`\n${stats.passes} passed, ${stats.failures} failed, ${stats.pending} skipped\n`);
    });
  }
}

export = SummaryReporter;
