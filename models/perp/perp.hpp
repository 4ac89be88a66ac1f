// A perpetual-futures venue on a child chain, priced by an oracle: traders open leveraged long or
// short positions against a liquidity pool at the oracle's price (the design of GMX, Gains Network
// and Synthetix perps: no order book, the pool takes the other side), pay a trading fee and a
// funding rate set by the imbalance of open interest, and are liquidated by keepers once their
// equity falls below the maintenance margin; an insurance fund absorbs the bad debt of positions
// whose loss passed their margin before the liquidation landed, and the pool bears what the fund
// cannot.
//
// The security/freshness knob: the venue takes an oracle report (models/oracle/) as its price when
// the report's transaction reaches `consume_at`: soft (in a sequencer block: fresh, but the
// sequencer can replace that block), safe (its batch on the parent), parent_final, or settled (its
// state root settled). A fresher stage means less staleness (less bad debt, less latency arbitrage);
// a safer one means less exposure to data that later reverted. With `feed` naming a reference_price
// the venue reads the true price directly: the perfect-oracle baseline.
//
// Every trade, close and liquidation is a transaction of the chain: it executes in its block, in
// block order, at the venue's price of that moment, so sequencer ordering matters. Collateral can
// come from the parent through a bridge (the position opens once the deposit is credited) and go
// back through the child's withdrawal path (locked for the challenge window), or through a
// fast-withdrawal liquidity provider who pays out at once for a fee and bears the risk that the
// bridge is drained by a wrong state root before the withdrawal is claimed.
//
// Adversaries of its own: latency_arbitrage (a trader who sees the reference price before the
// oracle update lands), sequencer_front_run (the sequencer trades ahead of oracle reports in its
// mempool), twap_manipulation (the cost of moving a thin pool's TWAP against the open interest it
// would move). The chain's sequencer_delay (kinds: [liquidation]) delays liquidations.
//
// Simplifications, stated so that results are read correctly:
//  - one market; the pool's liquidity never runs out; no price impact or borrowing fee;
//  - funding: every interval, rate = coefficient x (long - short) / (long + short) open interest,
//    capped; longs pay it on their notional (shorts receive it) to and from the pool;
//  - a reverted oracle report is taken back (the price returns to the newest earlier one), but trades
//    made at its price are not re-executed: they are counted as trades on data that later reverted;
//  - keepers watch the venue's price every `poll`; a liquidation is refused at execution if the
//    position has become healthy again, and tried again when it is not.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/oracle/oracle.hpp"
#include "models/price/price.hpp"
#include "sim/adversary.hpp"
#include "sim/application.hpp"
#include "sim/child.hpp"
#include "sim/parent_client.hpp"
#include "sim/stats.hpp"

namespace shsim::models::perp {

struct TraderParams {
  Rate rate{1.0 / 60};
  double notional = 20000;
  double notional_sigma = 1.0;
  double min_leverage = 2, max_leverage = 20;
  Duration hold{4 * 3600.0};
  Fraction long_share{0.5};
  template <class V> void describe(V& v)
  {
    v.field("rate", rate, "traders opening a position, per unit of time (Poisson)");
    v.field("notional", notional, "median size of a position (lognormal, in the scenario's currency)",
            between<double>(1e-6, 1e15));
    v.field("notional_sigma", notional_sigma, "log-space standard deviation of the size", between<double>(0, 5));
    v.field("min_leverage", min_leverage, "leverage is uniform between min_leverage and max_leverage", between<double>(1, 1000));
    v.field("max_leverage", max_leverage, "", between<double>(1, 1000));
    v.field("hold", hold, "mean time a trader keeps a position (exponential), unless liquidated first", positive<Duration>());
    v.field("long_share", long_share, "share of positions that are long");
  }
};

struct MarginParams {
  Percent maintenance{0.02};
  Percent liquidation_fee{0.005};
  template <class V> void describe(V& v)
  {
    v.field("maintenance", maintenance, "a position is liquidatable when its equity is below this share of its notional",
            between<Percent>(0, 1));
    v.field("liquidation_fee", liquidation_fee, "share of the notional a liquidation takes into the insurance fund",
            between<Percent>(0, 1));
  }
};

struct FundingParams {
  Duration interval{3600};
  Percent coefficient{0.0001};
  Percent cap{0.0005};
  template <class V> void describe(V& v)
  {
    v.field("interval", interval, "how often funding is paid", positive<Duration>());
    v.field("coefficient", coefficient, "funding rate per interval when all open interest is on one side (0: none)",
            between<Percent>(0, 1));
    v.field("cap", cap, "largest funding rate per interval", between<Percent>(0, 1));
  }
};

struct KeeperParams {
  int count = 2;
  Duration poll{1};
  Duration reaction{1};
  std::string region;
  template <class V> void describe(V& v)
  {
    v.field("count", count, "keepers watching positions (each polls in turn)", between<int>(1, 100));
    v.field("poll", poll, "the keepers together look at every position this often", positive<Duration>());
    v.field("reaction", reaction, "from seeing a liquidatable position to sending the liquidation", at_least<Duration>(0));
    v.field("region", region, "region of the keepers (default: spread)");
  }
};

struct CollateralParams {
  std::string bridge;
  Percent fast_withdrawal_fee{0};
  Bytes bytes{300};
  template <class V> void describe(V& v)
  {
    v.field("bridge", bridge,
            "bridge traders' collateral comes in and goes out through (empty: it is on the chain already)");
    v.field("fast_withdrawal_fee", fast_withdrawal_fee,
            "fee of the liquidity provider that pays withdrawals out at once (0: none; users wait for the claim)",
            between<Percent>(0, 1));
    v.field("bytes", bytes, "size of a deposit or withdrawal transaction", positive<Bytes>());
  }
};

struct PerpParams {
  std::string name;
  std::string chain;
  std::string feed;
  std::string consume_at = "safe";
  std::string region;
  TraderParams traders;
  MarginParams margin;
  Percent fee{0.0005};
  FundingParams funding;
  KeeperParams keepers;
  double insurance_fund = 1e6;
  double liquidity = 5e7;
  Bytes tx_bytes{250};
  CollateralParams collateral;
  Percent manipulation_move{0.1};

  template <class V> void describe(V& v)
  {
    v.field("name", name, "application name");
    v.field("chain", chain, "the child chain it runs on (a rollup)");
    v.field("feed", feed, "its price: an oracle_network, or a reference_price read directly (a perfect oracle)");
    v.field("consume_at", consume_at,
            "the stage at which an oracle report becomes the venue's price: soft, safe, parent_final or settled",
            one_of({"soft", "safe", "parent_final", "settled"}));
    v.field("region", region, "region of the traders' wallets (default: spread)");
    v.field("traders", traders, "the traders' workload");
    v.field("margin", margin, "maintenance margin and liquidation fee");
    v.field("fee", fee, "trading fee on the notional, paid to the pool on opening and closing", between<Percent>(0, 1));
    v.field("funding", funding, "funding between longs and shorts (through the pool)");
    v.field("keepers", keepers, "the keepers who liquidate");
    v.field("insurance_fund", insurance_fund, "the insurance fund at the start (in the scenario's currency)",
            at_least<double>(0));
    v.field("liquidity", liquidity, "the pool that takes the other side of every trade", at_least<double>(0));
    v.field("tx_bytes", tx_bytes, "size of a trade or liquidation transaction", positive<Bytes>());
    v.field("collateral", collateral, "where traders' collateral comes from and goes back to");
    v.field("manipulation_move", manipulation_move,
            "the price move a manipulated feed is assumed to force, for the profit from corrupting it "
            "(open interest x move)",
            between<Percent>(0, 10));
  }
  std::vector<RolePlacement> placements(int) const;
  std::vector<AppReference> references() const
  {
    std::vector<AppReference> refs{{"chain", "child", chain, {"optimistic_rollup", "zk_rollup"}},
                                   {"feed", "application", feed, {"oracle_network", "reference_price"}}};
    if (!collateral.bridge.empty())
      refs.push_back({"collateral.bridge", "bridge", collateral.bridge, {}});
    return refs;
  }
};

/// `latency_arbitrage`: a trader who sees the reference price first and trades against the venue's
/// stale one (the oracle's latency, Daian et al., "Flash Boys 2.0", 2020, and the loss-versus-
/// rebalancing of liquidity providers, Milionis et al., 2022). It opens a position toward the
/// reference when the venue's price is more than `threshold` away from it, and another each time the
/// reference runs `threshold` further ahead of the last one's target (up to `max_positions`); each
/// closes once the venue's price has reached the reference price it was opened on (its target), or
/// after `max_hold`. So it takes roughly the whole gap, whatever the venue's lag.
struct LatencyArbitrage : Window {
  std::string venue;
  Percent threshold{0.003};
  double notional = 100000;
  Duration latency{0.1};
  Duration poll{1};
  Duration max_hold{3600};
  int max_positions = 10;
  template <class V> void describe(V& o)
  {
    o.field("venue", venue, "the perp_venue");
    o.field("threshold", threshold, "it trades when the reference is this far from the venue's price", between<Percent>(1e-6, 10));
    o.field("notional", notional, "size of each of its positions", between<double>(1e-6, 1e15));
    o.field("latency", latency, "age of the reference price it sees", at_least<Duration>(0));
    o.field("poll", poll, "how often it looks", positive<Duration>());
    o.field("max_hold", max_hold, "it closes a position after this long whatever the price", positive<Duration>());
    o.field("max_positions", max_positions, "positions it holds at once at most", between<int>(1, 1000));
    describe_window(o);
  }
  void check(const AdversaryCheck& check) const { check.application(venue, {"perp_venue"}, "venue"); }
};

/// `sequencer_front_run`: the venue's sequencer trades ahead of the oracle reports in its mempool.
struct SequencerFrontRun : Window {
  std::string venue;
  double notional = 100000;
  template <class V> void describe(V& o)
  {
    o.field("venue", venue, "the perp_venue");
    o.field("notional", notional, "size of each front-running position", between<double>(1e-6, 1e15));
    describe_window(o);
  }
  void check(const AdversaryCheck& check) const;
};

/// `twap_manipulation`: the cost of holding a thin constant-product pool's price `move` away for a
/// TWAP window (arbitrageurs restore it every block), against what the venue's open interest would
/// pay for that move (Uniswap v2 TWAP; Mackinga, Nadahalli, Wattenhofer, "TWAP oracle attacks:
/// easier done than said?", 2022).
struct TwapManipulation : Window {
  std::string venue;
  double depth = 2e6;
  Duration window{1800};
  Percent move{0.05};
  Percent pool_fee{0.003};
  Duration block_time{12};
  template <class V> void describe(V& o)
  {
    o.field("venue", venue, "the perp_venue whose open interest the move would hit");
    o.field("depth", depth, "value of the pool's two reserves together (in the scenario's currency)", between<double>(1e-6, 1e18));
    o.field("window", window, "the TWAP's window", positive<Duration>());
    o.field("move", move, "how far the attacker moves the TWAP (negative: down)", between<Percent>(-0.99, 100));
    o.field("pool_fee", pool_fee, "the pool's swap fee (Uniswap v2: 0.3%)", between<Percent>(0, 0.5));
    o.field("block_time", block_time,
            "blocks of the chain the pool trades on: arbitrageurs restore its price between two (Ethereum: 12s)",
            positive<Duration>());
    describe_window(o);
  }
  void check(const AdversaryCheck& check) const
  {
    check.application(venue, {"perp_venue"}, "venue");
    if (move.value == 0)
      check.fail({"move"}, "a move of 0 costs nothing and gains nothing");
  }
};

/// The closed form of twap_manipulation: the cost of holding a constant-product pool of quote reserve
/// y at k = 1 + move for `pushes` blocks: each push after an arbitrageur restores the price loses
/// y (sqrt(k) + 1/sqrt(k) - 2) and pays the fee on y (sqrt(k) - 1) (fees to first order).
double twap_cost_closed_form(double quote_reserve, double move, double fee, long long pushes);
/// The same by swapping against the pool's reserves block by block, as Uniswap v2 does (x y constant,
/// the fee taken from the input and kept in the pool): the attacker's swap to the moved price, then
/// the arbitrageur's back.
double twap_cost_simulated(double quote_reserve, double move, double fee, long long pushes);

/// A venue's pool as a rebalancer (models/collateral/) sees it: its liquidity on its chain, and the
/// bridge that joins that chain to the parent.
class LiquidityPool {
public:
  virtual ~LiquidityPool()                        = default;
  virtual double liquidity() const                 = 0;
  virtual void add_liquidity(double amount)        = 0;  // negative: taken out
  virtual BridgeRuntime* collateral_bridge() const = 0;
  virtual const std::string& chain_name() const    = 0;
};

void register_perp(ProtocolRegistry& registry);

}  // namespace shsim::models::perp
