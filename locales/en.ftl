# The reporter's pages in English: the reference for every other language.
# Review: written by the project in plain English.
# Keys: page-area-what. A key used in templates/ must be here; every other file has the same keys.

site-name = Secure contact
nav-report = Report
nav-status = Check a case
quick-exit = Quick exit
quick-exit-hint = Leaves this site at once for a weather page.
language = Language
required = (required)
optional = (optional)
yes = Yes
no = No
dont-know = I do not know

report-title = Tell us what happened
report-intro = This form is confidential. You do not need to give your name. What you write is locked so that only the team you choose can read it, not the people who run this website.
report-entity = Who should receive your report?
report-section-you = About you
report-reporter = Who is reporting?
reporter-self = This happened to me
reporter-witness = I saw it or I know about it
reporter-relative = I am a relative or friend of the person
reporter-helper = I am helping someone to report (focal point, counsellor)
report-section-what = What happened
report-description = What happened?
report-when = When did it happen?
when-exact = On a date I know
when-approximate = About when
when-unknown = I do not know
report-when-date = The date
report-when-text = In your own words (for example "last rainy season")
report-place = Where did it happen?
report-section-who = Who did it
report-perpetrator-category = Who were they?
category-military_contingent = A soldier of the peacekeeping troops
category-formed_police_unit = A police officer of a police unit
category-expert_on_mission = A military observer or an individual police officer
category-military_staff_officer = A military staff officer
category-staff_member = A UN staff member
category-volunteer = A UN Volunteer
category-government_provided = Someone sent by a government to work for the UN
category-implementing_partner = Someone working for a partner organisation
category-non_un_force = A soldier of a non-UN force
category-unknown = I do not know
report-nationality = Their nationality, if you know it
report-unit = Their unit, camp or office, if you know it
report-perpetrator-description = What they look like, their name or anything else that could help find them
report-child = Was a child (under 18) involved?
report-section-safety = Your safety and what you need
report-safe-now = Are you safe now?
safe-unsure = I am not sure
report-needs = Do you need any of these now?
need-medical = Medical care
need-psychosocial = Someone to talk to
need-shelter = A safe place to stay
need-legal = Legal advice
report-section-contact = Contact and sharing
report-contact = May the team contact you?
contact-yes = Yes, through this site with my follow-up number
contact-no = No
report-contact-how = Another safe way to reach you, if there is one
report-share = Your report may be shared with:
share-assistance = People who help victims (medical care, counselling, support)
share-investigators = Investigators
share-member_state = The authorities of the country of the person who did it
report-files = Photos or documents
report-files-hint = Up to { $max } files. On this phone, the place and time stored inside photos are removed before sending when your browser can.
report-send = Send securely
report-after = After sending you will get a follow-up number. It is the only way back to your report.
report-tor = If it is safe for you, Tor Browser hides that you visited this site.
report-readers = Who can read it: only the people listed for the team you choose, on their own computers.
report-readers-count = { $count ->
    [one] one intake officer can open it
   *[other] { $count } intake officers can open it
}
report-organisation-key = The organisation signed this list. To check it, compare this key with the one the organisation publishes: { $key }

submitted-title = Your report was received
submitted-number = Your follow-up number:
submitted-keep = Write this number down now and keep it somewhere safe. It is shown only once. Nobody can find it for you again, and anyone who has it can read the answers to your report.
submitted-use = Use it on the "Check a case" page to see what is happening, read answers and add information.
submitted-hide = Do not keep it where the person you fear could see it.
submitted-print = Print the number
submitted-print-hint = You can also print this page with your browser's menu.
submitted-confirm = I have written down my number
submitted-close = Close
slip-title = Reference

status-title = Check a case
status-token = Your follow-up number
status-check = Check
case-title = Your case
case-received-on = Received on { $date }.
case-answers = Answers from the team
case-no-answers = No answers yet.
case-support = Support offered to you
case-support-hint = Support does not depend on your report going ahead. You choose.
accept = Accept
decline = Decline
case-add = Add information
case-message = Your message
case-message-hint = Only the team working on your case can read it.
case-closed = This case is closed. To tell us something new, send a new report.

status-received = Your report has arrived safely and is waiting for the team to read it. They should confirm within 7 days that they have read it.
status-acknowledged = The team has read your report. They are deciding what to do next and will tell you here.
status-preliminary_assessment = The team is checking what can be done with the information in your report. They may ask you questions here.
status-under_investigation = An investigation has started. Investigators may ask you questions here. You can add information at any time.
status-referred_to_member_state = The country whose personnel is concerned has been informed and asked to act. The team will tell you here what happens.
status-substantiated = The investigation found that what was reported happened. The team will tell you here what follows.
status-not_substantiated = The investigation could not confirm what was reported. This does not mean you were not believed. Support is still open to you.
status-closed = This case is closed. Support services remain available to you.

service-safety_protection = Help to stay safe
service-medical = Medical care
service-psychosocial = Someone to talk to (psychosocial support)
service-legal = Legal advice and help
service-education = Help with school or training
service-livelihood_material = Help with money, food, shelter or work
service-children_born_of_sea = Support for a child born after the abuse

referral-offered = Offered to you. You can accept or decline it.
referral-accepted = You accepted. The service will be arranged.
referral-declined = You declined. You can still accept it later if you change your mind.
referral-delivered = The service has been provided.
referral-follow_up = The team is checking how things went for you.
referral-closed = Finished.

sent-title = Your information was added
sent-text = The team working on your case can now read it. Check again later with your follow-up number for their answer.
sent-files = Files added: { $count }.
sent-again = Check your case again

problem-title = Please check and try again
problem-title-server = Something went wrong
problem-back = Go back
error-generic = Something in the form is not right. Please check it and send it again.
error-internal = Something went wrong on our side and nothing was saved. Please try again in a few minutes.
error-invalid_field = Please describe what happened, and keep each answer within its length.
error-unknown_entity = Please choose who should receive your report from the list.
error-too_large = The form is larger than this site accepts. Shorten the text or send fewer files.
error-file_too_large = A file is larger than this site accepts. Send a smaller one.
error-too_many_files = Too many files at once. Send fewer files.
error-timeout = The form took too long to arrive. Please send it again.
error-token_typo = This number has a mistake in it. Check each digit against the number you were given.
error-not_found = No case matches this follow-up number. Check that you typed every digit as it was given to you.
error-case_closed = This case is closed and takes no more information; to tell us something new, send a new report.
error-answer_refused = This answer cannot be given now. The page shows what you can do.
error-form_used = This form was sent already. To send a new report, open the report page again.
error-unavailable = The site is restarting. Please try again in a minute.
error-storage_unavailable = We cannot store reports or messages right now, and nothing was saved. Please try again in 5 minutes.
error-storage_unconfirmed = We could not confirm that this was saved, so no follow-up number can be given for it. Please send it again in 5 minutes; if the first one was saved, staff may receive it twice.
error-check_unavailable = We cannot check your case right now. Please try again in 5 minutes.
error-too_many_requests = Too many requests came from your network just now. Please wait a minute and try again.
error-keyring_unverified = This page could not confirm who would read your report, so nothing was sent. Do not send it from this page now: try again later, or report another way.

js-stretching = Making your follow-up number safe on this phone. This can take a few seconds.
js-sealing = Locking your report on this phone…
js-sending = Sending…
js-busy = Many reports are arriving just now. Your phone is doing a short check before sending; please wait.
js-checking = Opening your case on this phone…
js-failed = Something went wrong and nothing was sent. Please try again.
js-typo = This number has a mistake in it. Check each digit against the number you were given.
js-leave = Have you written down your follow-up number?
