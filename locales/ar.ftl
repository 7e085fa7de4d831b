# The reporter's pages in Arabic.
# Review: machine translation, not yet reviewed by a fluent speaker. Please have it checked before use.
# Keys: page-area-what. A key used in templates/ must be here; every other file has the same keys.

site-name = اتصال آمن
nav-report = تقديم بلاغ
nav-status = متابعة بلاغ
quick-exit = خروج سريع
quick-exit-hint = يغادر هذا الموقع فورًا وينتقل إلى صفحة عن الطقس.
language = اللغة
required = (مطلوب)
optional = (اختياري)
yes = نعم
no = لا
dont-know = لا أعرف

report-title = أخبرنا بما حدث
report-intro = هذه الاستمارة سرية. لا داعي لذكر اسمك. ما تكتبه يُقفَل بحيث لا يستطيع قراءته إلا الفريق الذي تختاره، وليس الأشخاص الذين يديرون هذا الموقع.
report-entity = إلى أي جهة تريد إرسال بلاغك؟
report-section-you = عنك
report-reporter = من يقدّم البلاغ؟
reporter-self = حدث هذا لي
reporter-witness = رأيت ما حدث أو أعرف عنه
reporter-relative = أنا من أقارب هذا الشخص أو أصدقائه
reporter-helper = أساعد شخصًا آخر على الإبلاغ (جهة تنسيق، مرشد نفسي)
report-section-what = ما حدث
report-description = ماذا حدث؟
report-when = متى حدث ذلك؟
when-exact = في تاريخ أعرفه
when-approximate = في وقت تقريبي
when-unknown = لا أعرف
report-when-date = التاريخ
report-when-text = بكلماتك أنت (مثلًا «في الشتاء الماضي»)
report-place = أين حدث ذلك؟
report-section-who = من فعل ذلك
report-perpetrator-category = من كان هذا الشخص؟
category-military_contingent = جندي من قوات حفظ السلام
category-formed_police_unit = شرطي من وحدة شرطة
category-expert_on_mission = مراقب عسكري أو شرطي يعمل بصفة فردية
category-military_staff_officer = ضابط أركان عسكري
category-staff_member = موظف في الأمم المتحدة
category-volunteer = متطوع في الأمم المتحدة
category-government_provided = شخص أرسلته حكومة للعمل لدى الأمم المتحدة
category-implementing_partner = شخص يعمل لدى منظمة شريكة
category-non_un_force = جندي من قوة لا تتبع الأمم المتحدة
category-unknown = لا أعرف
report-nationality = جنسية هذا الشخص، إن كنت تعرفها
report-unit = وحدة هذا الشخص أو معسكره أو مكتبه، إن كنت تعرف ذلك
report-perpetrator-description = شكل هذا الشخص أو اسمه أو أي شيء آخر قد يساعد في العثور عليه
report-child = هل يتعلق الأمر بطفل (عمره أقل من 18 سنة)؟
report-section-safety = سلامتك وما تحتاج إليه
report-safe-now = هل أنت في أمان الآن؟
safe-unsure = لا أعرف بالتأكيد
report-needs = هل تحتاج الآن إلى شيء مما يلي؟
need-medical = رعاية طبية
need-psychosocial = شخص للتحدث إليه
need-shelter = مكان آمن للإقامة
need-legal = مشورة قانونية
report-section-contact = التواصل ومشاركة البلاغ
report-contact = هل يمكن للفريق أن يتواصل معك؟
contact-yes = نعم، عبر هذا الموقع برقم المتابعة الخاص بي
contact-no = لا
report-contact-how = طريقة آمنة أخرى للتواصل معك، إن وُجدت
report-share = يمكن مشاركة بلاغك مع:
share-assistance = الأشخاص الذين يساعدون الضحايا (الرعاية الطبية، الإرشاد النفسي، الدعم)
share-investigators = المحققين
share-member_state = سلطات بلد الشخص الذي فعل ذلك
report-files = صور أو مستندات
report-files-hint = الحد الأقصى لعدد الملفات: { $max }. على هذا الهاتف، يُحذف المكان والوقت المحفوظان داخل الصور قبل الإرسال إذا كان متصفحك يسمح بذلك.
report-send = إرسال آمن
report-after = بعد الإرسال ستحصل على رقم متابعة. هذا الرقم هو الطريقة الوحيدة للعودة إلى بلاغك.
report-tor = إذا كان ذلك آمنًا لك، فإن Tor Browser يُخفي أنك زرت هذا الموقع.
report-readers = من يمكنه قراءة البلاغ: فقط الأشخاص المذكورون لدى الفريق الذي تختاره، على أجهزة الكمبيوتر الخاصة بهم.
report-readers-count = { $count ->
    [one] يستطيع فتحه موظف استقبال واحد
   *[other] يستطيع فتحه { $count } من موظفي الاستقبال
}
report-organisation-key = وقّعت المنظمة هذه القائمة. للتحقق منها، قارن هذا المفتاح بالمفتاح الذي تنشره المنظمة: { $key }

submitted-title = وصل بلاغك
submitted-number = رقم المتابعة الخاص بك:
submitted-keep = اكتب هذا الرقم الآن واحفظه في مكان آمن. لن يظهر إلا مرة واحدة. لا أحد يستطيع أن يجده لك مرة أخرى، وأي شخص يحصل عليه يمكنه قراءة الردود على بلاغك.
submitted-use = استخدمه في صفحة «متابعة بلاغ» لتعرف ما يحدث، وتقرأ الردود، وتضيف معلومات.
submitted-hide = لا تحتفظ به في مكان يمكن أن يراه فيه الشخص الذي تخاف منه.
submitted-print = طباعة الرقم
submitted-print-hint = يمكنك أيضًا طباعة هذه الصفحة من قائمة المتصفح.
submitted-confirm = لقد كتبت رقمي
submitted-close = إغلاق
slip-title = مرجع

status-title = متابعة بلاغ
status-token = رقم المتابعة الخاص بك
status-check = تحقّق
case-title = بلاغك
case-received-on = وصل في { $date }.
case-answers = ردود الفريق
case-no-answers = لا توجد ردود حتى الآن.
case-support = الدعم المعروض عليك
case-support-hint = الدعم لا يتوقف على استمرار بلاغك. القرار لك.
accept = قبول
decline = رفض
case-add = إضافة معلومات
case-message = رسالتك
case-message-hint = لا يقرؤها إلا الفريق الذي يعمل على بلاغك.
case-closed = هذا البلاغ مُغلق. إذا أردت أن تخبرنا بشيء جديد، يُرجى إرسال بلاغ جديد.

status-received = وصل بلاغك بأمان، وهو بانتظار أن يقرأه الفريق. من المفترض أن يؤكد الفريق خلال 7 أيام أنه قرأه.
status-acknowledged = قرأ الفريق بلاغك. وهو يقرر الخطوة التالية وسيخبرك بها هنا.
status-preliminary_assessment = يدرس الفريق ما يمكن فعله بالمعلومات الموجودة في بلاغك. قد يطرح عليك أسئلة هنا.
status-under_investigation = بدأ التحقيق. قد يطرح عليك المحققون أسئلة هنا. يمكنك إضافة معلومات في أي وقت.
status-referred_to_member_state = تم إبلاغ البلد الذي ينتمي إليه الأفراد المعنيون، وطُلب منه أن يتخذ إجراءً. سيخبرك الفريق هنا بما يحدث.
status-substantiated = توصّل التحقيق إلى أن ما أُبلغ عنه قد حدث. سيخبرك الفريق هنا بما سيحدث بعد ذلك.
status-not_substantiated = لم يتمكن التحقيق من تأكيد ما أُبلغ عنه. هذا لا يعني أننا لم نصدّقك. ما زال الدعم متاحًا لك.
status-closed = هذا البلاغ مُغلق. ما زالت خدمات الدعم متاحة لك.

service-safety_protection = مساعدة للبقاء في أمان
service-medical = رعاية طبية
service-psychosocial = شخص للتحدث إليه (دعم نفسي واجتماعي)
service-legal = مشورة ومساعدة قانونية
service-education = مساعدة في الدراسة أو التدريب
service-livelihood_material = مساعدة بالمال أو الطعام أو السكن أو العمل
service-children_born_of_sea = دعم لطفل وُلد بعد الانتهاك

referral-offered = معروضة عليك. يمكنك قبولها أو رفضها.
referral-accepted = لقد قبلت. سيتم ترتيب الخدمة.
referral-declined = لقد رفضت. ما زال بإمكانك قبولها لاحقًا إذا غيّرت رأيك.
referral-delivered = تم تقديم الخدمة.
referral-follow_up = يتابع الفريق معك ليطمئن كيف سارت الأمور.
referral-closed = انتهت.

sent-title = أُضيفت معلوماتك
sent-text = يمكن الآن للفريق الذي يعمل على بلاغك أن يقرأها. يُرجى العودة لاحقًا برقم المتابعة للاطلاع على ردّهم.
sent-files = عدد الملفات المضافة: { $count }.
sent-again = عرض بلاغك مرة أخرى

problem-title = يُرجى المراجعة والمحاولة مرة أخرى
problem-title-server = حدث خطأ ما
problem-back = رجوع
error-generic = هناك شيء غير صحيح في الاستمارة. يُرجى مراجعتها وإرسالها مرة أخرى.
error-internal = حدث خطأ من جهتنا ولم يُحفظ أي شيء. يُرجى المحاولة مرة أخرى بعد بضع دقائق.
error-invalid_field = يُرجى وصف ما حدث، مع الالتزام بالطول المسموح به لكل إجابة.
error-unknown_entity = يُرجى أن تختار من القائمة الجهة التي تريد إرسال بلاغك إليها.
error-too_large = الاستمارة أكبر مما يقبله هذا الموقع. يُرجى تقصير النص أو إرسال ملفات أقل.
error-file_too_large = أحد الملفات أكبر مما يقبله هذا الموقع. يُرجى إرسال ملف أصغر.
error-too_many_files = عدد الملفات كبير جدًا. يُرجى إرسال ملفات أقل.
error-timeout = استغرق وصول الاستمارة وقتًا طويلًا جدًا. يُرجى إرسالها مرة أخرى.
error-token_typo = في هذا الرقم خطأ. يُرجى مقارنة كل رقم فيه بالرقم الذي أُعطي لك.
error-not_found = لا يوجد بلاغ برقم المتابعة هذا. يُرجى التأكد من أنك كتبت كل الأرقام كما أُعطيت لك.
error-case_closed = هذا البلاغ مُغلق ولا يقبل معلومات أخرى؛ إذا أردت أن تخبرنا بشيء جديد، يُرجى إرسال بلاغ جديد.
error-answer_refused = لا يمكن إرسال هذا الرد الآن. تبيّن لك الصفحة ما يمكنك فعله.
error-form_used = تم إرسال هذه الاستمارة من قبل. لإرسال بلاغ جديد، افتح صفحة البلاغ من جديد.
error-unavailable = يُعاد تشغيل الموقع. يُرجى المحاولة مرة أخرى بعد دقيقة.
error-storage_unavailable = لا يمكننا حفظ البلاغات أو الرسائل الآن، ولم يُحفظ أي شيء. يُرجى المحاولة مرة أخرى بعد 5 دقائق.
error-storage_unconfirmed = لم نتمكن من التأكد من حفظ هذا، لذلك لا يمكن إعطاء رقم متابعة له. يُرجى إرساله مرة أخرى بعد 5 دقائق؛ وإذا كان الإرسال الأول قد حُفظ، فقد يتلقاه الموظفون مرتين.
error-check_unavailable = لا يمكننا التحقق من قضيتك الآن. يُرجى المحاولة مرة أخرى بعد 5 دقائق.
error-too_many_requests = وصلت طلبات كثيرة جدًا من شبكتك الآن. يُرجى الانتظار دقيقة ثم المحاولة مرة أخرى.
error-keyring_unverified = لم تتمكن هذه الصفحة من التأكد ممن سيقرأ بلاغك، لذلك لم يُرسَل أي شيء. لا ترسله من هذه الصفحة الآن: حاول لاحقًا أو أبلغ بطريقة أخرى.

js-stretching = جارٍ تأمين رقم المتابعة على هذا الهاتف. قد يستغرق ذلك بضع ثوانٍ.
js-sealing = جارٍ قفل بلاغك على هذا الهاتف…
js-sending = جارٍ الإرسال…
js-busy = تصل بلاغات كثيرة الآن. يقوم هاتفك بفحص قصير قبل الإرسال، يُرجى الانتظار.
js-checking = جارٍ فتح بلاغك على هذا الهاتف…
js-failed = حدث خطأ ولم يُرسل أي شيء. يُرجى المحاولة مرة أخرى.
js-typo = في هذا الرقم خطأ. يُرجى مقارنة كل رقم فيه بالرقم الذي أُعطي لك.
js-leave = هل كتبت رقم المتابعة الخاص بك؟
