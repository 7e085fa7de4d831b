# The reporter's pages in Lingala.
# Review: machine translation, not yet reviewed by a fluent speaker. Many terms are French loanwords. Please have it checked by a native speaker before use.
# Keys: page-area-what. A key used in templates/ must be here; every other file has the same keys.

site-name = Esika ya kosolola
nav-report = Koyebisa
nav-status = Tala likambo
quick-exit = Bima noki
quick-exit-hint = Ebimisi yo na site oyo mbala moko mpe ememi yo na lokasa ya météo.
language = Lokota
required = (esengeli)
optional = (soki olingi)
yes = Iyo
no = Te
dont-know = Nayebi te

report-title = Yebisa biso nini esalemaki
report-intro = Formulaire oyo ezali ya sekele. Esengeli te ete opesa kombo na yo. Oyo okokoma ekangami mpo ete kaka ekipi oyo okopona ekoka kotanga yango; bato oyo batambwisaka site oyo bakoki kotanga yango te.
report-entity = Na ekipi nini olingi kotinda rapport na yo?
report-section-you = Mpo na yo
report-reporter = Nani azali koyebisa?
reporter-self = Esalemaki na ngai
reporter-witness = Namonaki yango to nayebi likambo yango
reporter-relative = Nazali ndeko to moninga ya moto yango
reporter-helper = Nazali kosalisa moto moko mpo ayebisa (point focal, conseiller)
report-section-what = Nini esalemaki
report-description = Nini esalemaki?
report-when = Esalemaki ntango nini?
when-exact = Na mokolo oyo nayebi
when-approximate = Nayebi kaka pene na ntango nini
when-unknown = Nayebi te
report-when-date = Mokolo
report-when-text = Na maloba na yo moko (ndakisa "eleko ya mbula eleki")
report-place = Esalemaki wapi?
report-section-who = Moto oyo asalaki yango
report-perpetrator-category = Azali moto ya lolenge nini?
category-military_contingent = Soda moko ya ONU oyo abatelaka kimia (Casque bleu)
category-formed_police_unit = Polisi moko ya etuluku ya bapolisi ya ONU
category-expert_on_mission = Soda moko oyo atalaka makambo (observateur militaire) to polisi moko ya ONU oyo asalaka ye moko
category-military_staff_officer = Mokonzi moko ya basoda oyo asalaka na biro (officier d'état-major)
category-staff_member = Mosali moko ya ONU
category-volunteer = Volontaire moko ya ONU
category-government_provided = Moto oyo leta moko atindaki mpo na kosala na ONU
category-implementing_partner = Moto oyo asalaka na organisation moko oyo esalaka elongo na ONU (partenaire)
category-non_un_force = Soda moko oyo azali ya ONU te
category-unknown = Nayebi te
report-nationality = Ekolo na ye, soki oyebi yango
report-unit = Etuluku na ye, camp na ye to biro na ye, soki oyebi yango
report-perpetrator-description = Ndenge azali, kombo na ye to likambo mosusu nyonso oyo ekoki kosalisa mpo na kozwa ye
report-child = Mwana (na nse ya mbula 18) azalaki kati na likambo oyo?
report-section-safety = Libateli na yo mpe oyo ozali na yango na posa
report-safe-now = Ozali na libateli sikoyo?
safe-unsure = Nayebi malamu te
report-needs = Ozali na posa ya moko na makambo oyo sikoyo?
need-medical = Kosalisama na monganga
need-psychosocial = Moto ya kosolola na ye
need-shelter = Esika ya libateli ya kofanda
need-legal = Toli na likambo ya mibeko
report-section-contact = Kosolola na yo mpe kokabola rapport
report-contact = Ekipi ekoki kosolola na yo?
contact-yes = Iyo, na nzela ya site oyo na nimero na ngai ya kolanda
contact-no = Te
report-contact-how = Nzela mosusu ya libateli mpo na kozwa yo, soki ezali
report-share = Rapport na yo ekoki kokabolama na:
share-assistance = Bato oyo basalisaka bato oyo makambo ekomeli bango (monganga, kosolola, lisalisi)
share-investigators = Bato ya enquête
share-member_state = Bakonzi ya ekolo ya moto oyo asalaki yango
report-files = Bafoto to mikanda
report-files-hint = Kino ba fichier { $max }. Na telefone oyo, esika mpe ntango oyo ebombami kati na bafoto elongolamaka liboso ya kotinda, soki navigateur na yo ekoki.
report-send = Tinda na libateli
report-after = Sima ya kotinda, okozwa nimero ya kolanda. Yango kaka nde nzela ya kozonga na rapport na yo.
report-tor = Soki ezali na likama te mpo na yo, Tor Browser ebombaka ete oyaki na site oyo.
report-readers = Nani akoki kotanga yango: kaka bato oyo bakomami mpo na ekipi oyo oponi, na ba-ordinateur na bango moko.
report-readers-count = { $count ->
    [one] moto moko oyo azwaka ba-rapport akoki kofungola yango
   *[other] bato { $count } oyo bazwaka ba-rapport bakoki kofungola yango
}
report-organisation-key = Ebongiseli esinyaki liste oyo. Mpo na kotala yango, kokanisa fungola oyo na oyo ebongiseli ebimisaka: { $key }

submitted-title = Rapport na yo ezwami
submitted-number = Nimero na yo ya kolanda:
submitted-keep = Koma nimero oyo sikoyo mpe bomba yango na esika ya libateli. Ekomonisama kaka mbala moko. Moto moko te akoki kozwela yo yango lisusu, mpe moto nyonso oyo azali na yango akoki kotanga biyano na rapport na yo.
submitted-use = Salela yango na lokasa "Tala likambo" mpo na koyeba nini ezali kosalema, kotanga biyano mpe kobakisa makambo.
submitted-hide = Kobomba yango te na esika oyo moto oyo ozali kobanga akoki komona yango.
submitted-print = Imprimer nimero
submitted-print-hint = Okoki mpe ko-imprimer lokasa oyo na menu ya navigateur na yo.
submitted-confirm = Nakomi nimero na ngai
submitted-close = Kanga
slip-title = Référence

status-title = Tala likambo
status-token = Nimero na yo ya kolanda
status-check = Tala
case-title = Likambo na yo
case-received-on = Ezwamaki na { $date }.
case-answers = Biyano ya ekipi
case-no-answers = Eyano moko te naino.
case-support = Lisalisi oyo bapesi yo
case-support-hint = Okozwa lisalisi ata soki rapport na yo ekokende liboso te. Yo moko nde okopona.
accept = Ndima
decline = Boya
case-add = Bakisa makambo
case-message = Maloba na yo
case-message-hint = Kaka ekipi oyo ezali kosala na likambo na yo nde ekoki kotanga yango.
case-closed = Likambo oyo esili. Mpo na koyebisa biso likambo ya sika, tinda rapport ya sika.

status-received = Rapport na yo ekomi malamu mpe ezali kozela ete ekipi etanga yango. Basengeli koyebisa yo na kati ya mikolo 7 ete batangi yango.
status-acknowledged = Ekipi etangi rapport na yo. Bazali kozwa mokano ya nini bakosala sima, mpe bakoyebisa yo awa.
status-preliminary_assessment = Ekipi ezali kotala nini ekoki kosalema na makambo oyo ezali na rapport na yo. Bakoki kotuna yo mituna awa.
status-under_investigation = Enquête ebandi. Bato ya enquête bakoki kotuna yo mituna awa. Okoki kobakisa makambo ntango nyonso.
status-referred_to_member_state = Ekolo oyo bato na yango bazali na likambo oyo eyebisami mpe basengi yango esala eloko. Ekipi ekoyebisa yo awa nini ekosalema.
status-substantiated = Enquête emonisi ete makambo oyo eyebisamaki esalemaki solo. Ekipi ekoyebisa yo awa nini ekolanda.
status-not_substantiated = Enquête ekokaki te kondimisa makambo oyo eyebisamaki. Yango elakisi te ete baboyi kondima yo. Lisalisi ezali kaka mpo na yo.
status-closed = Likambo oyo esili. Lisalisi ezali kaka mpo na yo.

service-safety_protection = Lisalisi mpo na kozala na libateli
service-medical = Kosalisama na monganga
service-psychosocial = Moto ya kosolola na ye (lisalisi ya psychosocial)
service-legal = Toli mpe lisalisi na likambo ya mibeko
service-education = Lisalisi mpo na kelasi to mpo na koyekola mosala
service-livelihood_material = Lisalisi ya mbongo, bilei, esika ya kofanda to mosala
service-children_born_of_sea = Lisalisi mpo na mwana oyo abotamaki sima ya makambo mabe oyo esalemaki

referral-offered = Bapesi yo yango. Okoki kondima to koboya.
referral-accepted = Ondimi. Lisalisi ekobongisama.
referral-declined = Oboyi. Okoki kaka kondima yango sima soki obongoli makanisi.
referral-delivered = Lisalisi epesami.
referral-follow_up = Ekipi ezali kotala ndenge makambo etambolaki mpo na yo.
referral-closed = Esili.

sent-title = Makambo na yo ebakisami
sent-text = Ekipi oyo ezali kosala na likambo na yo ekoki sikoyo kotanga yango. Zonga kotala sima na nimero na yo ya kolanda mpo na kozwa eyano na bango.
sent-files = Ba fichier ebakisami: { $count }.
sent-again = Tala likambo na yo lisusu

problem-title = Tala malamu mpe meka lisusu
problem-title-server = Likambo moko etamboli malamu te
problem-back = Zonga sima
error-generic = Eloko moko na formulaire ezali malamu te. Tala yango mpe tinda yango lisusu.
error-internal = Likambo moko etamboli malamu te na ngambo na biso, mpe eloko moko te ebombami. Meka lisusu sima ya miniti mwa moke.
error-invalid_field = Limbola nini esalemaki, mpe eyano moko na moko eleka bolai oyo endimami te.
error-unknown_entity = Pona na liste ekipi oyo esengeli kozwa rapport na yo.
error-too_large = Formulaire eleki monene oyo site oyo endimaka. Koma mokuse to tinda ba fichier moke.
error-file_too_large = Fichier moko eleki monene oyo site oyo endimaka. Tinda oyo ya moke.
error-too_many_files = Ba fichier ebele mingi mbala moko. Tinda ba fichier moke.
error-timeout = Formulaire eumeli mingi mpo na kokoma. Tinda yango lisusu.
error-token_typo = Nimero oyo ezali na libunga. Tala chiffre moko na moko na nimero oyo bapesaki yo.
error-not_found = Likambo moko te ekokani na nimero oyo ya kolanda. Tala soki okomi ba chiffre nyonso ndenge bapesaki yo yango.
error-case_closed = Likambo oyo esili mpe ekozwa makambo mosusu te; mpo na koyebisa biso likambo ya sika, tinda rapport ya sika.
error-answer_refused = Eyano oyo ekoki kopesama sikoyo te. Lokasa ezali kolakisa oyo okoki kosala.
error-form_used = Formulaire oyo etindamaki kala. Mpo na kotinda rapport ya sika, fungola lisusu lokasa ya rapport.
error-unavailable = Site ezali kobanda lisusu. Meka lisusu sima ya miniti moko.
error-storage_unavailable = Tokoki kobomba rapore to nsango te sikoyo, mpe eloko moko te ebombami. Meka lisusu sima ya miniti 5.
error-storage_unconfirmed = Tokokaki te koyeba soki likambo oyo ebombami, yango wana nimero ya kolanda ekoki kopesama te. Tinda yango lisusu sima ya miniti 5; soki oyo ya liboso ebombamaki, basali bakoki kozwa yango mbala mibale.
error-check_unavailable = Tokoki kotala likambo na yo te sikoyo. Meka lisusu sima ya miniti 5.
error-too_many_requests = Masenga ebele mingi eutaki na réseau na yo sikawa oyo. Zela miniti moko mpe meka lisusu.
error-keyring_unverified = Lokasa oyo ekoki te koyeba solo nani akotanga rapport na yo, yango wana eloko moko te etindami. Kotinda yango na lokasa oyo sikoyo te: meka lisusu sima, to yebisa na nzela mosusu.

js-stretching = Nimero na yo ya kolanda ezali kobatelama na telefone oyo. Ekoki kozwa basekonde moke.
js-sealing = Rapport na yo ezali kokangama na telefone oyo…
js-sending = Ezali kotinda…
js-busy = Ba rapport ebele ezali koya sikawa. Telefone na yo ezali kosala contrôle moke liboso ya kotinda; zela.
js-checking = Likambo na yo ezali kofungwama na telefone oyo…
js-failed = Likambo moko etamboli malamu te mpe eloko moko te etindami. Meka lisusu.
js-typo = Nimero oyo ezali na libunga. Tala chiffre moko na moko na nimero oyo bapesaki yo.
js-leave = Okomi nimero na yo ya kolanda?
