// The sweep on the ranks of an MPI job (sim/sweep_mpi.cpp; built into `shsim-mpi` only).
#pragma once

#include <functional>

#include "sim/study.hpp"
#include "sim/sweep.hpp"

namespace shsim {

/// Initializes MPI, loads the study on every rank, runs the sweep: rank 0 keeps the database and
/// hands runs to the other ranks. Returns the exit code (the other ranks return theirs).
int run_sweep_mpi(const std::function<Study()>& load, SweepOptions options);

}  // namespace shsim
