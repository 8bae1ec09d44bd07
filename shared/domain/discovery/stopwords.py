"""Words too common to tell creators apart, left out of `creator.terms` (they stay searchable:
the full-text document keeps every word). The most frequent function words of the languages
Sway's users write most in; a word of another language is kept, which costs a lookalike a
little precision, never a match."""

ENGLISH = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it its
itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them themselves
then there these they this those through to too under until up very was we were what when
where which while who whom why will with would you your yours yourself yourselves im ive dont
get got new one day today link bio via amp
"""
SPANISH = """
de la que el en y a los del se las por un para con no una su al lo como pero sus le ya o
este si porque esta entre cuando muy sin sobre me hasta hay donde quien desde todo nos
durante todos uno les ni contra otros ese eso ante ellos e esto mi antes algunos que unos yo
otro otras otra tanto esa estos mucho quienes nada muchos cual poco ella estar estas algunas
algo nosotros es son fue hoy más también está así después aquí
"""
FRENCH = """
au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me
mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton
tu un une vos votre vous est sont était cette cet tout tous très plus
même être été déjà ça aujourd hui
"""
GERMAN = """
aber alle als also am an auch auf aus bei bin bis bist da dass dann der den des dem die das
doch du ein eine einem einen einer eines er es für hat hatte ich ihr im in ist ja kann mit
mein meine mich mir nach nicht noch nur oder sehr sein sich sie sind so über um und uns unter
vom von vor war was wenn wer wie wir wird zu zum zur heute
"""
ITALIAN = """
il lo la i gli le di da in con su per tra fra un uno una e ed o ma che chi non più del della
dei delle al alla ai alle dal dalla nel nella sul sulla come anche sono sei era questo questa
quello quella mio mia tuo tua suo sua oggi perché così già
"""
PORTUGUESE = """
o os as um uma uns umas de do da dos das em no na nos nas por para com sem que se mais mas
como ao aos ele ela eles elas seu sua meu minha muito também já foi
ser está este isso hoje não você são
"""

STOPWORDS: frozenset[str] = frozenset(
    word
    for words in (ENGLISH, SPANISH, FRENCH, GERMAN, ITALIAN, PORTUGUESE)
    for word in words.split()
)
