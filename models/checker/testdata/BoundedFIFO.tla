---------------------------- MODULE BoundedFIFO ----------------------------
(* A FIFO channel holding at most N messages. *)
EXTENDS Naturals, Sequences

CONSTANTS Msg, N

VARIABLES q, last

Init == /\ q = <<>>
        /\ last = "none"

Send == /\ Len(q) < N
        /\ \E m \in Msg : q' = Append(q, m)
        /\ UNCHANGED last

Recv == /\ Len(q) > 0
        /\ last' = Head(q)
        /\ q' = Tail(q)

Next == Send \/ Recv

TypeOK == /\ q \in Seq(Msg)
          /\ last \in Msg \cup {"none"}

Bounded == Len(q) <= N
NeverFull == Len(q) < N
=============================================================================
