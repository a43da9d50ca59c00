------------------------------ MODULE ByName ------------------------------
(* Arguments passed by name, as TLC substitutes them: a variable (q' in
   Lose is msgs'), and an action (NoStutter(A) takes an action). *)
EXTENDS Naturals, Sequences

VARIABLES msgs, n

Lose(q) == /\ q # <<>>
           /\ q' = Tail(q)

NoStutter(A) == A /\ n' # n

Send(i) == /\ Len(msgs) < 2
           /\ msgs' = Append(msgs, i)
           /\ n' = n + 1

Init == msgs = <<>> /\ n = 0

Next == \/ \E i \in 1..2 : NoStutter(Send(i))
        \/ Lose(msgs) /\ UNCHANGED n

Bounded == n <= 6
=============================================================================
