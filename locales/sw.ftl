# The reporter's pages in Swahili.
# Review: machine translation, not yet reviewed by a fluent speaker. Please have it checked before use.
# Keys: page-area-what. A key used in templates/ must be here; every other file has the same keys.

site-name = Mawasiliano salama
nav-report = Toa ripoti
nav-status = Angalia kesi
quick-exit = Toka haraka
quick-exit-hint = Inaondoka kwenye tovuti hii mara moja na kufungua ukurasa wa hali ya hewa.
language = Lugha
required = (lazima)
optional = (si lazima)
yes = Ndiyo
no = Hapana
dont-know = Sijui

report-title = Tuambie kilichotokea
report-intro = Fomu hii ni ya siri. Huhitaji kutaja jina lako. Unachoandika kinafungwa ili timu utakayochagua tu ndiyo iweze kukisoma, si watu wanaoendesha tovuti hii.
report-entity = Nani apokee ripoti yako?
report-section-you = Kuhusu wewe
report-reporter = Nani anatoa ripoti?
reporter-self = Hili lilinitokea mimi
reporter-witness = Niliona au ninajua kuhusu jambo hili
reporter-relative = Mimi ni ndugu au rafiki wa mtu huyo
reporter-helper = Ninamsaidia mtu kutoa ripoti (mratibu, mshauri nasaha)
report-section-what = Kilichotokea
report-description = Nini kilitokea?
report-when = Kilitokea lini?
when-exact = Ninajua tarehe
when-approximate = Ninajua takriban lini
when-unknown = Sijui
report-when-date = Tarehe
report-when-text = Kwa maneno yako mwenyewe (kwa mfano "masika ya mwaka jana")
report-place = Kilitokea wapi?
report-section-who = Nani alifanya hivi
report-perpetrator-category = Alikuwa nani?
category-military_contingent = Mwanajeshi wa vikosi vya kulinda amani
category-formed_police_unit = Askari polisi wa kikosi cha polisi
category-expert_on_mission = Mwangalizi wa kijeshi au afisa wa polisi aliyetumwa peke yake
category-military_staff_officer = Afisa wa jeshi anayefanya kazi makao makuu
category-staff_member = Mfanyakazi wa Umoja wa Mataifa
category-volunteer = Mjitolea wa Umoja wa Mataifa
category-government_provided = Mtu aliyetumwa na serikali kufanya kazi na Umoja wa Mataifa
category-implementing_partner = Mtu anayefanya kazi katika shirika mshirika
category-non_un_force = Mwanajeshi wa kikosi kisicho cha Umoja wa Mataifa
category-unknown = Sijui
report-nationality = Uraia wake, ikiwa unaujua
report-unit = Kikosi, kambi au ofisi yake, ikiwa unajua
report-perpetrator-description = Anavyoonekana, jina lake au kitu kingine chochote kinachoweza kusaidia kumpata
report-child = Je, mtoto (chini ya miaka 18) alihusika?
report-section-safety = Usalama wako na unachohitaji
report-safe-now = Je, uko salama sasa?
safe-unsure = Sina uhakika
report-needs = Je, unahitaji mojawapo ya haya sasa?
need-medical = Matibabu
need-psychosocial = Mtu wa kuzungumza naye
need-shelter = Mahali salama pa kukaa
need-legal = Ushauri wa kisheria
report-section-contact = Mawasiliano na nani apewe ripoti
report-contact = Je, timu inaweza kuwasiliana nawe?
contact-yes = Ndiyo, kupitia tovuti hii kwa namba yangu ya ufuatiliaji
contact-no = Hapana
report-contact-how = Njia nyingine salama ya kukufikia, ikiwa ipo
report-share = Ripoti yako inaweza kupewa:
share-assistance = Watu wanaosaidia waathiriwa (matibabu, ushauri nasaha, msaada)
share-investigators = Wachunguzi
share-member_state = Mamlaka za nchi ya mtu aliyefanya hivi
report-files = Picha au nyaraka
report-files-hint = Hadi faili { $max }. Kwenye simu hii, mahali na saa vilivyohifadhiwa ndani ya picha vinaondolewa kabla ya kutuma, ikiwa kivinjari chako kinaweza.
report-send = Tuma kwa usalama
report-after = Baada ya kutuma utapata namba ya ufuatiliaji. Ndiyo njia pekee ya kurudi kwenye ripoti yako.
report-tor = Ikiwa ni salama kwako, Tor Browser inaficha kwamba ulitembelea tovuti hii.
report-readers = Nani anaweza kuisoma: watu walioorodheshwa kwa ajili ya timu utakayochagua tu, kwenye kompyuta zao wenyewe.
report-readers-count = { $count ->
    [one] afisa mmoja wa kupokea ripoti anaweza kuifungua
   *[other] maafisa { $count } wa kupokea ripoti wanaweza kuifungua
}
report-organisation-key = Shirika limetia sahihi orodha hii. Ili kuikagua, linganisha ufunguo huu na ule ambao shirika linachapisha: { $key }

submitted-title = Ripoti yako imepokelewa
submitted-number = Namba yako ya ufuatiliaji:
submitted-keep = Iandike namba hii sasa na uiweke mahali salama. Inaonyeshwa mara moja tu. Hakuna mtu anayeweza kukupatia tena, na yeyote aliye nayo anaweza kusoma majibu ya ripoti yako.
submitted-use = Itumie kwenye ukurasa wa "Angalia kesi" ili kuona kinachoendelea, kusoma majibu na kuongeza taarifa.
submitted-hide = Usiiweke mahali ambapo mtu unayemwogopa anaweza kuiona.
submitted-print = Chapisha namba
submitted-print-hint = Unaweza pia kuchapisha ukurasa huu kwa kutumia menyu ya kivinjari chako.
submitted-confirm = Nimeiandika namba yangu
submitted-close = Funga
slip-title = Kumbukumbu

status-title = Angalia kesi
status-token = Namba yako ya ufuatiliaji
status-check = Angalia
case-title = Kesi yako
case-received-on = Ilipokelewa tarehe { $date }.
case-answers = Majibu kutoka kwa timu
case-no-answers = Bado hakuna majibu.
case-support = Msaada unaotolewa kwako
case-support-hint = Msaada hautegemei kama ripoti yako itaendelea. Wewe ndiye unayeamua.
accept = Kubali
decline = Kataa
case-add = Ongeza taarifa
case-message = Ujumbe wako
case-message-hint = Ni timu inayoshughulikia kesi yako tu inayoweza kuusoma.
case-closed = Kesi hii imefungwa. Ili kutuambia jambo jipya, tuma ripoti mpya.

status-received = Ripoti yako imefika salama na inasubiri timu iisome. Wanapaswa kuthibitisha ndani ya siku 7 kwamba wameisoma.
status-acknowledged = Timu imesoma ripoti yako. Wanaamua hatua inayofuata na watakuambia hapa.
status-preliminary_assessment = Timu inaangalia kinachoweza kufanywa kwa taarifa zilizo kwenye ripoti yako. Wanaweza kukuuliza maswali hapa.
status-under_investigation = Uchunguzi umeanza. Wachunguzi wanaweza kukuuliza maswali hapa. Unaweza kuongeza taarifa wakati wowote.
status-referred_to_member_state = Nchi ambayo mtu wake anahusika imejulishwa na kuombwa kuchukua hatua. Timu itakuambia hapa kinachotokea.
status-substantiated = Uchunguzi umeonyesha kwamba kilichoripotiwa kilitokea. Timu itakuambia hapa kinachofuata.
status-not_substantiated = Uchunguzi haukuweza kuthibitisha kilichoripotiwa. Hii haimaanishi kwamba hukuaminiwa. Bado unaweza kupata msaada.
status-closed = Kesi hii imefungwa. Huduma za msaada bado zipo kwa ajili yako.

service-safety_protection = Msaada wa kukaa salama
service-medical = Matibabu
service-psychosocial = Mtu wa kuzungumza naye (msaada wa kisaikolojia)
service-legal = Ushauri na msaada wa kisheria
service-education = Msaada wa shule au mafunzo
service-livelihood_material = Msaada wa pesa, chakula, makazi au kazi
service-children_born_of_sea = Msaada kwa mtoto aliyezaliwa baada ya unyanyasaji

referral-offered = Unapewa msaada huu. Unaweza kuukubali au kuukataa.
referral-accepted = Umekubali. Huduma itapangwa.
referral-declined = Umekataa. Bado unaweza kukubali baadaye ukibadilisha nia.
referral-delivered = Huduma imetolewa.
referral-follow_up = Timu inaangalia hali yako ilivyokwenda.
referral-closed = Imekamilika.

sent-title = Taarifa yako imeongezwa
sent-text = Timu inayoshughulikia kesi yako sasa inaweza kuisoma. Angalia tena baadaye kwa namba yako ya ufuatiliaji ili kuona jibu lao.
sent-files = Faili zilizoongezwa: { $count }.
sent-again = Angalia kesi yako tena

problem-title = Tafadhali angalia na ujaribu tena
problem-title-server = Kuna tatizo limetokea
problem-back = Rudi
error-generic = Kuna kitu kwenye fomu ambacho si sawa. Tafadhali kiangalie na utume tena.
error-internal = Kuna tatizo upande wetu na hakuna kilichohifadhiwa. Tafadhali jaribu tena baada ya dakika chache.
error-invalid_field = Tafadhali eleza kilichotokea, na kila jibu lisizidi urefu unaoruhusiwa.
error-unknown_entity = Tafadhali chagua kwenye orodha nani apokee ripoti yako.
error-too_large = Fomu ni kubwa kuliko tovuti hii inavyoweza kupokea. Fupisha maandishi au tuma faili chache.
error-file_too_large = Faili moja ni kubwa kuliko tovuti hii inavyoweza kupokea. Tuma faili ndogo zaidi.
error-too_many_files = Faili ni nyingi mno kwa wakati mmoja. Tuma faili chache.
error-timeout = Fomu ilichukua muda mrefu mno kufika. Tafadhali itume tena.
error-token_typo = Namba hii ina kosa. Linganisha kila tarakimu na namba uliyopewa.
error-not_found = Hakuna kesi inayolingana na namba hii ya ufuatiliaji. Hakikisha umeandika kila tarakimu kama ulivyopewa.
error-case_closed = Kesi hii imefungwa na haipokei taarifa zaidi; ili kutuambia jambo jipya, tuma ripoti mpya.
error-answer_refused = Jibu hili haliwezi kutolewa sasa. Ukurasa unaonyesha unachoweza kufanya.
error-form_used = Fomu hii imeshatumwa. Ili kutuma ripoti mpya, fungua tena ukurasa wa ripoti.
error-unavailable = Tovuti inaanza upya. Tafadhali jaribu tena baada ya dakika moja.
error-storage_unavailable = Hatuwezi kuhifadhi ripoti wala ujumbe kwa sasa, na hakuna kilichohifadhiwa. Tafadhali jaribu tena baada ya dakika 5.
error-storage_unconfirmed = Hatukuweza kuthibitisha kwamba hili limehifadhiwa, kwa hiyo hakuna namba ya ufuatiliaji inayoweza kutolewa. Tafadhali tuma tena baada ya dakika 5; kama la kwanza lilihifadhiwa, wafanyakazi wanaweza kulipokea mara mbili.
error-check_unavailable = Hatuwezi kuangalia kesi yako kwa sasa. Tafadhali jaribu tena baada ya dakika 5.
error-too_many_requests = Maombi mengi mno yametoka kwenye mtandao wako sasa hivi. Tafadhali subiri dakika moja kisha ujaribu tena.
error-keyring_unverified = Ukurasa huu haukuweza kuthibitisha nani atasoma ripoti yako, kwa hiyo hakuna kilichotumwa. Usiitume kutoka ukurasa huu sasa: jaribu tena baadaye, au ripoti kwa njia nyingine.

js-stretching = Tunalinda namba yako ya ufuatiliaji kwenye simu hii. Hii inaweza kuchukua sekunde chache.
js-sealing = Tunafunga ripoti yako kwenye simu hii…
js-sending = Inatuma…
js-busy = Ripoti nyingi zinafika sasa hivi. Simu yako inafanya ukaguzi mfupi kabla ya kutuma; tafadhali subiri.
js-checking = Tunafungua kesi yako kwenye simu hii…
js-failed = Kuna tatizo limetokea na hakuna kilichotumwa. Tafadhali jaribu tena.
js-typo = Namba hii ina kosa. Linganisha kila tarakimu na namba uliyopewa.
js-leave = Je, umeiandika namba yako ya ufuatiliaji?
