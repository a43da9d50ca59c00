// Package sweep runs a scenario over a grid of parameter values and repeated
// seeds, and turns the runs into per-run and per-point (mean ± 95 % CI)
// results.
//
// A sweep is a Plan: a scenario, an ordered list of parameters
// (`adoption=0:1:0.1`, `policy=off,prefer,require`) and a list of seeds. The
// plan numbers its runs in one fixed order (grid point by grid point, seeds
// innermost), so that
//   - a Shard i/n runs exactly the runs whose number is i modulo n, and n
//     machines together run the whole plan once;
//   - the outputs are sorted by run number, never by completion order, so the
//     number of parallel jobs does not change a byte of them;
//   - Merge combines the outputs of every shard into exactly the bytes one
//     machine running the whole plan would have written.
//
// Running one run is someone else's job: the caller passes a RunFunc.
// ExecRunner is the one btsim uses: each run is a `btsim run` (or `btsim
// pairs`) subprocess with its own scheduler, so runs proceed side by side on
// separate cores, and its metrics are the numbers of the JSON it writes.
//
// A study file (ParseStudy) is a scenario with a [sweep] table that names
// the parameters, seeds, aliases (one name setting several scenario keys)
// and figures; Override writes a grid point's values into the scenario.
package sweep
