/** Without cluster support (globalSetup said why), every test of the cluster project is skipped rather than run on one Redis. */
if (process.env.MNEMO_CLUSTER_SUITE_NODES === 'unsupported') {
  const g = globalThis as unknown as { describe: jest.Describe; it: jest.It; test: jest.It };
  g.describe = g.describe.skip;
  g.it = g.it.skip;
  g.test = g.test.skip;
}
