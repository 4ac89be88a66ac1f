#include "models/workload/sources.hpp"

namespace shsim::models {

void start_parent_workload(Simulation& simulation)
{
  ParentLedger& ledger = simulation.ledger();
  start_sources(simulation, simulation.scenario().parent.name, "transaction",
                [&ledger](double time, uint64_t bytes) { ledger.submit(time, bytes); });
}

void start_sources(Simulation& simulation, const std::string& chain, const std::string& kind, Submit submit)
{
  const Scenario& scenario = simulation.scenario();
  for (size_t i = 0; i < scenario.workload.size(); ++i) {
    const Workload& load = scenario.workload[i];
    if (load.chain != chain || load.kind != kind || load.rate.per_second <= 0)
      continue;
    double until = load.until ? load.until->seconds : scenario.duration.seconds;
    sg4::Actor::create("workload-" + std::to_string(i), simulation.network().placement(0).host,
                       [submit, load, until, rng = simulation.stream("workload", i)]() mutable {
                         double mean = 1.0 / load.rate.per_second;
                         double t    = load.from.seconds;
                         while (true) {
                           t += load.arrivals == "fixed" ? mean : rng.exponential(mean);
                           if (t > until)
                             return;
                           if (t - sg4::Engine::get_clock() > 1e-9)  // below SimGrid's time precision: now
                             sg4::this_actor::sleep_until(t);
                           submit(t, load.size.count);
                         }
                       });
  }
}

}  // namespace shsim::models
