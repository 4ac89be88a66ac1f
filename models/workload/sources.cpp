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
    // Each arrival is an event of the queue, which schedules the next one.
    struct Source {
      Simulation& simulation;
      Submit submit;
      Workload load;
      double until;
      RandomStream rng;
      double t;
      void next(const std::shared_ptr<Source>& self)
      {
        double mean = 1.0 / load.rate.per_second;
        t += load.arrivals == "fixed" ? mean : rng.exponential(mean);
        if (t > until)
          return;
        simulation.events().call_at(t, [self]() {
          self->submit(self->t, self->load.size.count);
          self->next(self);
        });
      }
    };
    auto source = std::make_shared<Source>(
        Source{simulation, submit, load, until, simulation.stream("workload", i), load.from.seconds});
    source->next(source);
  }
}

}  // namespace shsim::models
