# The reporter's pages in Spanish.
# Review: machine translation, not yet reviewed by a fluent speaker. Please have it checked before use.
# Keys: page-area-what. A key used in templates/ must be here; every other file has the same keys.

site-name = Contacto seguro
nav-report = Reportar
nav-status = Consultar un caso
quick-exit = Salida rápida
quick-exit-hint = Sale de este sitio de inmediato y abre una página del clima.
language = Idioma
required = (obligatorio)
optional = (opcional)
yes = Sí
no = No
dont-know = No sé

report-title = Cuéntenos lo que pasó
report-intro = Este formulario es confidencial. No necesita dar su nombre. Lo que escriba queda bajo llave: solo puede leerlo el equipo que usted elija, no las personas que administran este sitio web.
report-entity = ¿Quién debe recibir su reporte?
report-section-you = Sobre usted
report-reporter = ¿Quién hace el reporte?
reporter-self = Esto me pasó a mí
reporter-witness = Lo vi o sé lo que pasó
reporter-relative = Soy familiar o amistad cercana de la persona
reporter-helper = Ayudo a alguien a hacer el reporte (punto focal, consejero o consejera)
report-section-what = Lo que pasó
report-description = ¿Qué pasó?
report-when = ¿Cuándo pasó?
when-exact = Sé la fecha
when-approximate = Sé más o menos cuándo
when-unknown = No sé
report-when-date = La fecha
report-when-text = Con sus propias palabras (por ejemplo, “en la última temporada de lluvias”)
report-place = ¿Dónde pasó?
report-section-who = Quién lo hizo
report-perpetrator-category = ¿Quién era esa persona?
category-military_contingent = Un militar de las fuerzas de mantenimiento de la paz
category-formed_police_unit = Un miembro de una unidad de policía
category-expert_on_mission = Un observador militar o un policía que no forma parte de una unidad
category-military_staff_officer = Un oficial de estado mayor
category-staff_member = Un miembro del personal de la ONU
category-volunteer = Un Voluntario de la ONU
category-government_provided = Una persona enviada por un gobierno para trabajar para la ONU
category-implementing_partner = Una persona que trabaja para una organización asociada
category-non_un_force = Un militar de una fuerza que no es de la ONU
category-unknown = No sé
report-nationality = La nacionalidad de esa persona, si la sabe
report-unit = La unidad, el campamento o la oficina de esa persona, si lo sabe
report-perpetrator-description = Cómo es esa persona, cómo se llama o cualquier otra cosa que pueda ayudar a encontrarla
report-child = ¿Estaba involucrado un niño o una niña (menor de 18 años)?
report-section-safety = Su seguridad y lo que necesita
report-safe-now = ¿Está a salvo ahora?
safe-unsure = No lo sé con seguridad
report-needs = ¿Necesita ahora alguna de estas ayudas?
need-medical = Atención médica
need-psychosocial = Alguien con quien hablar
need-shelter = Un lugar seguro donde quedarse
need-legal = Asesoría legal
report-section-contact = Contacto y con quién se comparte
report-contact = ¿Puede el equipo ponerse en contacto con usted?
contact-yes = Sí, a través de este sitio con mi número de seguimiento
contact-no = No
report-contact-how = Otra forma segura de comunicarse con usted, si la hay
report-share = Su reporte puede compartirse con:
share-assistance = Las personas que ayudan a las víctimas (atención médica, consejería, apoyo)
share-investigators = El equipo de investigación
share-member_state = Las autoridades del país de la persona que lo hizo
report-files = Fotos o documentos
report-files-hint = Hasta { $max } archivos. En este teléfono, el lugar y la hora guardados dentro de las fotos se borran antes del envío cuando su navegador lo permite.
report-send = Enviar de forma segura
report-after = Después del envío recibirá un número de seguimiento. Es la única forma de volver a su reporte.
report-tor = Si es seguro para usted, Tor Browser oculta que visitó este sitio.
report-readers = Quién puede leerlo: solo las personas registradas para el equipo que usted elija, en sus propias computadoras.
report-readers-count = { $count ->
    [one] una persona encargada de recibir los informes puede abrirlo
   *[other] { $count } personas encargadas de recibir los informes pueden abrirlo
}
report-organisation-key = La organización firmó esta lista. Para comprobarla, compare esta clave con la que publica la organización: { $key }

submitted-title = Recibimos su reporte
submitted-number = Su número de seguimiento:
submitted-keep = Anote este número ahora y guárdelo en un lugar seguro. Solo se muestra una vez. Nadie podrá volver a encontrarlo por usted, y cualquier persona que lo tenga puede leer las respuestas a su reporte.
submitted-use = Úselo en la página “Consultar un caso” para ver qué está pasando, leer las respuestas y agregar información.
submitted-hide = No lo guarde donde pueda verlo la persona que le da miedo.
submitted-print = Imprimir el número
submitted-print-hint = También puede imprimir esta página desde el menú de su navegador.
submitted-confirm = Ya anoté mi número
submitted-close = Cerrar
slip-title = Referencia

status-title = Consultar un caso
status-token = Su número de seguimiento
status-check = Consultar
case-title = Su caso
case-received-on = Recibido el { $date }.
case-answers = Respuestas del equipo
case-no-answers = Todavía no hay respuestas.
case-support = Apoyo que se le ofrece
case-support-hint = El apoyo no depende de que su reporte siga adelante. Usted decide.
accept = Aceptar
decline = Rechazar
case-add = Agregar información
case-message = Su mensaje
case-message-hint = Solo el equipo que lleva su caso puede leerlo.
case-closed = Este caso está cerrado. Para contarnos algo nuevo, envíe un nuevo reporte.

status-received = Su reporte llegó bien y está esperando a que el equipo lo lea. El equipo debería confirmar en un plazo de 7 días que lo leyó.
status-acknowledged = El equipo leyó su reporte. Está decidiendo qué hacer y se lo dirá aquí.
status-preliminary_assessment = El equipo está revisando qué se puede hacer con la información de su reporte. Puede que le haga preguntas aquí.
status-under_investigation = Se abrió una investigación. El equipo de investigación puede hacerle preguntas aquí. Usted puede agregar información en cualquier momento.
status-referred_to_member_state = Se informó al país de la persona señalada y se le pidió que actúe. El equipo le dirá aquí lo que pase.
status-substantiated = La investigación concluyó que lo que se reportó sí ocurrió. El equipo le dirá aquí qué sigue.
status-not_substantiated = La investigación no pudo confirmar lo que se reportó. Esto no significa que no le hayan creído. El apoyo sigue a su disposición.
status-closed = Este caso está cerrado. Los servicios de apoyo siguen a su disposición.

service-safety_protection = Ayuda para estar a salvo
service-medical = Atención médica
service-psychosocial = Alguien con quien hablar (apoyo psicosocial)
service-legal = Asesoría y ayuda legal
service-education = Ayuda con los estudios o una capacitación
service-livelihood_material = Ayuda con dinero, comida, vivienda o trabajo
service-children_born_of_sea = Apoyo para un niño o una niña que nació a raíz del abuso

referral-offered = Se le ofrece este apoyo. Puede aceptarlo o rechazarlo.
referral-accepted = Usted aceptó. Se organizará el servicio.
referral-declined = Usted lo rechazó. Todavía puede aceptarlo más adelante si cambia de opinión.
referral-delivered = El servicio ya se prestó.
referral-follow_up = El equipo está revisando cómo le fue.
referral-closed = Terminado.

sent-title = Se agregó su información
sent-text = El equipo que lleva su caso ya puede leerla. Vuelva a consultar más tarde con su número de seguimiento para ver la respuesta del equipo.
sent-files = Archivos agregados: { $count }.
sent-again = Volver a consultar su caso

problem-title = Por favor, revise e inténtelo de nuevo
problem-title-server = Algo salió mal
problem-back = Volver
error-generic = Algo en el formulario no está bien. Por favor, revíselo y envíelo de nuevo.
error-internal = Algo salió mal de nuestro lado y no se guardó nada. Por favor, inténtelo de nuevo en unos minutos.
error-invalid_field = Por favor, describa lo que pasó, sin que ninguna respuesta sea demasiado larga.
error-unknown_entity = Por favor, elija de la lista quién debe recibir su reporte.
error-too_large = El formulario es más grande de lo que este sitio acepta. Acorte el texto o envíe menos archivos.
error-file_too_large = Un archivo es más grande de lo que este sitio acepta. Envíe uno más pequeño.
error-too_many_files = Demasiados archivos a la vez. Envíe menos archivos.
error-timeout = El formulario tardó demasiado en llegar. Por favor, envíelo de nuevo.
error-token_typo = Este número tiene un error. Compare cada dígito con el número que le dieron.
error-not_found = Ningún caso corresponde a este número de seguimiento. Revise que escribió cada dígito tal como se lo dieron.
error-case_closed = Este caso está cerrado y ya no recibe más información. Para contarnos algo nuevo, envíe un nuevo reporte.
error-answer_refused = Esta respuesta no se puede dar ahora. La página le muestra lo que puede hacer.
error-form_used = Este formulario ya se envió. Para enviar un nuevo reporte, abra otra vez la página de reporte.
error-unavailable = El sitio se está reiniciando. Por favor, inténtelo de nuevo en un minuto.
error-storage_unavailable = No podemos guardar denuncias ni mensajes en este momento, y no se guardó nada. Por favor, inténtelo de nuevo en 5 minutos.
error-storage_unconfirmed = No pudimos confirmar que esto se guardó, así que no se le puede dar un número de seguimiento. Por favor, envíelo de nuevo en 5 minutos; si el primer envío se guardó, el personal puede recibirlo dos veces.
error-check_unavailable = No podemos consultar su caso en este momento. Por favor, inténtelo de nuevo en 5 minutos.
error-too_many_requests = Llegaron demasiadas solicitudes desde su red hace un momento. Espere un minuto e inténtelo de nuevo.
error-keyring_unverified = Esta página no pudo confirmar quién leería su informe, así que no se envió nada. No lo envíe desde esta página ahora: inténtelo más tarde o informe por otro medio.

js-stretching = Protegiendo su número de seguimiento en este teléfono. Esto puede tardar unos segundos.
js-sealing = Poniendo su reporte bajo llave en este teléfono…
js-sending = Enviando…
js-busy = Están llegando muchos reportes en este momento. Su teléfono hace una breve comprobación antes de enviar; espere, por favor.
js-checking = Abriendo su caso en este teléfono…
js-failed = Algo salió mal y no se envió nada. Por favor, inténtelo de nuevo.
js-typo = Este número tiene un error. Compare cada dígito con el número que le dieron.
js-leave = ¿Anotó su número de seguimiento?
