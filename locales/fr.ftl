# The reporter's pages in French.
# Review: machine translation, not yet reviewed by a fluent speaker. Please have it checked before use.
# Keys: page-area-what. A key used in templates/ must be here; every other file has the same keys.

site-name = Contact sécurisé
nav-report = Signaler
nav-status = Consulter un dossier
quick-exit = Sortie rapide
quick-exit-hint = Quitte ce site tout de suite et ouvre une page météo.
language = Langue
required = (obligatoire)
optional = (facultatif)
yes = Oui
no = Non
dont-know = Je ne sais pas

report-title = Dites-nous ce qui s'est passé
report-intro = Ce formulaire est confidentiel. Vous n'avez pas besoin de donner votre nom. Ce que vous écrivez est verrouillé : seule l'équipe que vous choisissez peut le lire, pas les personnes qui gèrent ce site.
report-entity = Qui doit recevoir votre signalement ?
report-section-you = À propos de vous
report-reporter = Qui fait ce signalement ?
reporter-self = Cela m'est arrivé
reporter-witness = Je l'ai vu ou je suis au courant
reporter-relative = Je fais partie de la famille ou des amis de la personne
reporter-helper = J'aide quelqu'un à faire un signalement (point focal, conseiller ou conseillère)
report-section-what = Ce qui s'est passé
report-description = Que s'est-il passé ?
report-when = Quand cela s'est-il passé ?
when-exact = Je connais la date
when-approximate = Je sais à peu près quand
when-unknown = Je ne sais pas
report-when-date = La date
report-when-text = Avec vos propres mots (par exemple « pendant la dernière saison des pluies »)
report-place = Où cela s'est-il passé ?
report-section-who = Qui l'a fait
report-perpetrator-category = Qui était cette personne ?
category-military_contingent = Un militaire des troupes de maintien de la paix
category-formed_police_unit = Un membre d'une unité de police
category-expert_on_mission = Un observateur militaire ou un policier qui ne fait pas partie d'une unité
category-military_staff_officer = Un officier d'état-major
category-staff_member = Un membre du personnel de l'ONU
category-volunteer = Un Volontaire de l'ONU
category-government_provided = Une personne envoyée par un gouvernement pour travailler pour l'ONU
category-implementing_partner = Une personne qui travaille pour une organisation partenaire
category-non_un_force = Un militaire d'une force qui n'est pas celle de l'ONU
category-unknown = Je ne sais pas
report-nationality = Sa nationalité, si vous la connaissez
report-unit = Son unité, son camp ou son bureau, si vous le savez
report-perpetrator-description = Son apparence, son nom ou tout autre détail qui pourrait aider à retrouver cette personne
report-child = Un enfant (moins de 18 ans) était-il concerné ?
report-section-safety = Votre sécurité et vos besoins
report-safe-now = Êtes-vous en sécurité maintenant ?
safe-unsure = Je ne sais pas trop
report-needs = Avez-vous besoin maintenant de l'une de ces aides ?
need-medical = Des soins médicaux
need-psychosocial = Quelqu'un à qui parler
need-shelter = Un endroit sûr où loger
need-legal = Des conseils juridiques
report-section-contact = Contact et partage
report-contact = L'équipe peut-elle vous contacter ?
contact-yes = Oui, par ce site avec mon numéro de suivi
contact-no = Non
report-contact-how = Un autre moyen sûr de vous joindre, s'il y en a un
report-share = Votre signalement peut être partagé avec :
share-assistance = Les personnes qui aident les victimes (soins médicaux, écoute, soutien)
share-investigators = Les enquêteurs
share-member_state = Les autorités du pays de la personne qui a fait cela
report-files = Photos ou documents
report-files-hint = Jusqu'à { $max } fichiers. Sur ce téléphone, le lieu et l'heure enregistrés dans les photos sont supprimés avant l'envoi quand votre navigateur le permet.
report-send = Envoyer en toute sécurité
report-after = Après l'envoi, vous recevrez un numéro de suivi. C'est le seul moyen de revenir à votre signalement.
report-tor = Si c'est sans danger pour vous, Tor Browser permet de cacher que vous avez visité ce site.
report-readers = Qui peut le lire : seulement les personnes inscrites pour l'équipe que vous choisissez, sur leurs propres ordinateurs.
report-readers-count = { $count ->
    [one] une personne chargée de recevoir les signalements peut l'ouvrir
   *[other] { $count } personnes chargées de recevoir les signalements peuvent l'ouvrir
}
report-organisation-key = L'organisation a signé cette liste. Pour la vérifier, comparez cette clé avec celle que l'organisation publie : { $key }

submitted-title = Votre signalement a bien été reçu
submitted-number = Votre numéro de suivi :
submitted-keep = Notez ce numéro maintenant et gardez-le dans un endroit sûr. Il n'est affiché qu'une seule fois. Personne ne pourra le retrouver pour vous, et toute personne qui l'a peut lire les réponses à votre signalement.
submitted-use = Utilisez-le sur la page « Consulter un dossier » pour voir où en est votre dossier, lire les réponses et ajouter des informations.
submitted-hide = Ne le gardez pas là où la personne qui vous fait peur pourrait le voir.
submitted-print = Imprimer le numéro
submitted-print-hint = Vous pouvez aussi imprimer cette page avec le menu de votre navigateur.
submitted-confirm = J'ai noté mon numéro
submitted-close = Fermer
slip-title = Référence

status-title = Consulter un dossier
status-token = Votre numéro de suivi
status-check = Consulter
case-title = Votre dossier
case-received-on = Reçu le { $date }.
case-answers = Réponses de l'équipe
case-no-answers = Pas encore de réponse.
case-support = Aide qui vous est proposée
case-support-hint = L'aide ne dépend pas de la suite donnée à votre signalement. C'est vous qui choisissez.
accept = Accepter
decline = Refuser
case-add = Ajouter des informations
case-message = Votre message
case-message-hint = Seule l'équipe qui s'occupe de votre dossier peut le lire.
case-closed = Ce dossier est clos. Pour nous dire quelque chose de nouveau, envoyez un nouveau signalement.

status-received = Votre signalement est bien arrivé et attend d'être lu par l'équipe. Elle devrait confirmer dans les 7 jours qu'elle l'a lu.
status-acknowledged = L'équipe a lu votre signalement. Elle décide de la suite et vous le dira ici.
status-preliminary_assessment = L'équipe examine ce qui peut être fait avec les informations de votre signalement. Elle pourra vous poser des questions ici.
status-under_investigation = Une enquête a commencé. Les enquêteurs pourront vous poser des questions ici. Vous pouvez ajouter des informations à tout moment.
status-referred_to_member_state = Le pays de la personne mise en cause a été informé et on lui a demandé d'agir. L'équipe vous dira ici ce qui se passe.
status-substantiated = L'enquête a établi que les faits signalés ont bien eu lieu. L'équipe vous dira ici ce qui va suivre.
status-not_substantiated = L'enquête n'a pas pu confirmer les faits signalés. Cela ne veut pas dire que l'on ne vous croit pas. L'aide reste à votre disposition.
status-closed = Ce dossier est clos. Les services d'aide restent à votre disposition.

service-safety_protection = Aide pour être en sécurité
service-medical = Soins médicaux
service-psychosocial = Quelqu'un à qui parler (soutien psychosocial)
service-legal = Conseils et aide juridiques
service-education = Aide pour l'école ou une formation
service-livelihood_material = Aide pour l'argent, la nourriture, le logement ou le travail
service-children_born_of_sea = Soutien pour un enfant né à la suite des abus

referral-offered = Cette aide vous est proposée. Vous pouvez l'accepter ou la refuser.
referral-accepted = Vous avez accepté. Le service va être organisé.
referral-declined = Vous avez refusé. Vous pouvez encore l'accepter plus tard si vous changez d'avis.
referral-delivered = Le service a été fourni.
referral-follow_up = L'équipe vérifie comment les choses se sont passées pour vous.
referral-closed = Terminé.

sent-title = Vos informations ont été ajoutées
sent-text = L'équipe qui s'occupe de votre dossier peut maintenant les lire. Revenez plus tard avec votre numéro de suivi pour voir sa réponse.
sent-files = Fichiers ajoutés : { $count }.
sent-again = Consulter à nouveau votre dossier

problem-title = Merci de vérifier et de réessayer
problem-title-server = Un problème est survenu
problem-back = Retour
error-generic = Quelque chose ne va pas dans le formulaire. Merci de le vérifier et de l'envoyer à nouveau.
error-internal = Un problème est survenu de notre côté et rien n'a été enregistré. Merci de réessayer dans quelques minutes.
error-invalid_field = Merci de décrire ce qui s'est passé, sans que chaque réponse soit trop longue.
error-unknown_entity = Merci de choisir dans la liste qui doit recevoir votre signalement.
error-too_large = Le formulaire est plus grand que ce que ce site accepte. Raccourcissez le texte ou envoyez moins de fichiers.
error-file_too_large = Un fichier est plus grand que ce que ce site accepte. Envoyez-en un plus petit.
error-too_many_files = Trop de fichiers à la fois. Envoyez moins de fichiers.
error-timeout = Le formulaire a mis trop de temps à arriver. Merci de l'envoyer à nouveau.
error-token_typo = Ce numéro contient une erreur. Comparez chaque chiffre avec le numéro que vous avez reçu.
error-not_found = Aucun dossier ne correspond à ce numéro de suivi. Vérifiez que vous avez tapé chaque chiffre exactement comme on vous l'a donné.
error-case_closed = Ce dossier est clos et ne reçoit plus d'informations. Pour nous dire quelque chose de nouveau, envoyez un nouveau signalement.
error-answer_refused = Cette réponse ne peut pas être donnée maintenant. La page indique ce que vous pouvez faire.
error-form_used = Ce formulaire a déjà été envoyé. Pour faire un nouveau signalement, ouvrez à nouveau la page de signalement.
error-unavailable = Le site redémarre. Merci de réessayer dans une minute.
error-storage_unavailable = Nous ne pouvons pas enregistrer de signalement ni de message pour le moment, et rien n'a été enregistré. Merci de réessayer dans 5 minutes.
error-storage_unconfirmed = Nous n'avons pas pu confirmer que ceci a été enregistré : aucun numéro de suivi ne peut donc être donné. Merci de l'envoyer à nouveau dans 5 minutes ; si le premier envoi a été enregistré, le personnel pourra le recevoir deux fois.
error-check_unavailable = Nous ne pouvons pas vérifier votre dossier pour le moment. Merci de réessayer dans 5 minutes.
error-too_many_requests = Trop de demandes sont venues de votre réseau à l’instant. Veuillez patienter une minute et réessayer.
error-keyring_unverified = Cette page n'a pas pu confirmer qui lirait votre signalement : rien n'a été envoyé. Ne l'envoyez pas depuis cette page pour le moment ; réessayez plus tard ou signalez-le par un autre moyen.

js-stretching = Nous protégeons votre numéro de suivi sur ce téléphone. Cela peut prendre quelques secondes.
js-sealing = Verrouillage de votre signalement sur ce téléphone…
js-sending = Envoi en cours…
js-busy = Beaucoup de signalements arrivent en ce moment. Votre téléphone fait une courte vérification avant l’envoi ; veuillez patienter.
js-checking = Ouverture de votre dossier sur ce téléphone…
js-failed = Un problème est survenu et rien n'a été envoyé. Merci de réessayer.
js-typo = Ce numéro contient une erreur. Comparez chaque chiffre avec le numéro que vous avez reçu.
js-leave = Avez-vous noté votre numéro de suivi ?
