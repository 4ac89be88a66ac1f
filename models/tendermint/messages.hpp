// Tendermint's messages (arXiv 1807.04938, Algorithm 1), plus the catch-up messages a real node
// gets from its peers (CometBFT's block sync / consensus catch-up) when it falls behind.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/ledger.hpp"
#include "sim/message.hpp"

namespace shsim::models::tendermint {

constexpr uint64_t nil = 0;  // the nil block id

/// A proposed block; its id stands for the value v of the paper.
struct Block {
  uint64_t id;
  long long height;
  int round;  // round in which it was first proposed
  int proposer;
  double proposed_at;
  BlockContent transactions;
};
using BlockPtr = std::shared_ptr<const Block>;

/// PROPOSAL(h, r, v, validRound): the round's proposer offers block v.
struct Proposal : Message {
  long long height;
  int round;
  int proposer;  // who sent it (relays forward it unchanged)
  BlockPtr block;
  int valid_round;  // -1, or the round in which v got 2/3 prevotes (re-proposal)
  double sent_at;   // when this proposal message left the proposer
  static inline const MessageKind kind_id{"proposal"};
  MessageKind kind() const override { return kind_id; }
  Tag tag() const override { return {height, round, block->id}; }
};

enum class VoteType { prevote, precommit };

/// PREVOTE(h, r, id) / PRECOMMIT(h, r, id), id = nil for "no value this round".
struct Vote : Message {
  VoteType type;
  long long height;
  int round;
  uint64_t block_id;
  int validator;
  static inline const MessageKind prevote_kind{"prevote"}, precommit_kind{"precommit"};
  MessageKind kind() const override { return type == VoteType::prevote ? prevote_kind : precommit_kind; }
  Tag tag() const override { return {height, round, block_id}; }
};

/// The message as a proposal or a vote, or null: by kind, which costs a comparison where a
/// dynamic_cast walks the type hierarchy (votes and proposals are most of a run's deliveries).
inline const Proposal* as_proposal(const Message& message)
{
  return message.kind() == Proposal::kind_id ? static_cast<const Proposal*>(&message) : nullptr;
}
inline const Vote* as_vote(const Message& message)
{
  MessageKind kind = message.kind();
  return kind == Vote::prevote_kind || kind == Vote::precommit_kind ? static_cast<const Vote*>(&message) : nullptr;
}

/// Catch-up requests and answers share one traffic class.
inline const MessageKind catchup_kind{"catchup"};

/// "I am at height h; send me what you decided there." Sent on recovery and when a peer is ahead.
struct CatchUpRequest : Message {
  long long height;
  MessageKind kind() const override { return catchup_kind; }
};

/// A decided block with its commit certificate (the precommits that decided it).
struct Decision : Message {
  BlockPtr block;
  int round;
  std::vector<int> signers;
  long long sender_height;  // lets the receiver know whether to ask for more
  MessageKind kind() const override { return catchup_kind; }
};

}  // namespace shsim::models::tendermint
